// The Adullact envelope decoders against every sample of ../shared/fixtures/adullact/ and its
// expected.json (kind, producer, a subset of the metadata with its types, every document with
// its role), the documents of expected-mail.json byte for byte (sha256), and damaged variants
// made here: each must be malformed with a reason, never thrown, never half-decoded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { decodeEnvelope } from '../../lib/envelopes/decode.js';
import { pastellDeposit } from '../../lib/envelopes/pastell.js';
import { pesFile, pesStream } from '../../lib/envelopes/pes.js';
import { type Envelope, ENVELOPE_KINDS, type EnvelopeResult } from '../../lib/envelopes/types.js';
import { REPO } from '../helpers/sandbox.js';

const FIXTURES = path.join(REPO, '..', 'shared', 'fixtures', 'adullact');
const ALL = new Set(ENVELOPE_KINDS);

interface ExpectedSample {
  input: string;
  kind: string;
  producer: string;
  metadata: Record<string, unknown>;
  documents: Array<{ name: string; role: string }>;
  ignored?: string[];
}

const samples = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as ExpectedSample[];
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/** A sample as mailpump meets it: a file decoded, or a deposit directory's files. */
async function decodeSample(input: string): Promise<Envelope> {
  const file = path.join(FIXTURES, input);
  if (fs.statSync(file).isDirectory()) {
    const files = new Map(fs.readdirSync(file).map((name) => [name, fs.readFileSync(path.join(file, name))]));
    const envelope = pastellDeposit(files, false);
    assert.ok(envelope, `${input} is a deposit`);
    return envelope;
  }
  const result = await decodeEnvelope(path.basename(file), fs.readFileSync(file), ALL);
  assert.equal(result.outcome, 'decoded', `${input}: ${JSON.stringify(result)}`);
  return (result as { envelope: Envelope }).envelope;
}

function malformedReason(result: EnvelopeResult): string {
  assert.equal(result.outcome, 'malformed', JSON.stringify(result));
  return (result as { reason: string }).reason;
}

describe('Adullact envelopes: the samples', () => {
  for (const sample of samples) {
    it(`${sample.input}: ${sample.kind} by ${sample.producer}, its metadata and documents`, async () => {
      const envelope = await decodeSample(sample.input);
      assert.equal(envelope.kind, sample.kind);
      assert.equal(envelope.producer, sample.producer);
      for (const [key, value] of Object.entries(sample.metadata)) assert.deepEqual(envelope.metadata[key], value, `metadata ${key}`);
      assert.deepEqual(envelope.documents.map((document) => `${document.name} ${document.role}`).sort(), sample.documents.map((document) => `${document.name} ${document.role}`).sort());
      for (const ignored of sample.ignored ?? []) assert.ok(!envelope.documents.some((document) => document.name === ignored), `${ignored} is not a document`);
    });
  }

  it('gives the documents of expected-mail.json byte for byte, and passes through what is no envelope', async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mail', 'expected-mail.json'), 'utf8')) as {
      items: Record<string, { outcome: string; input: string; documents?: Array<{ name: string; role: string; sha256: string }> }>;
    };
    for (const [id, item] of Object.entries(expected.items)) {
      const file = path.join(FIXTURES, 'mail', item.input);
      const result = await decodeEnvelope(path.basename(file), fs.readFileSync(file), ALL);
      if (item.outcome === 'passthrough') {
        assert.equal(result.outcome, 'not_envelope', id);
        continue;
      }
      assert.equal(result.outcome, 'decoded', id);
      const documents = (result as { envelope: Envelope }).envelope.documents;
      assert.deepEqual(documents.map((document) => `${document.name} ${document.role} ${sha256(document.bytes)}`).sort(),
        (item.documents ?? []).map((document) => `${document.name} ${document.role} ${document.sha256}`).sort(), id);
    }
  });

  it('reads a PES as a stream in pieces of any size as it reads it whole, ISO-8859-1 or UTF-8, a comment inside a PJ included', async () => {
    const sample = fs.readFileSync(path.join(FIXTURES, 'helios', 'PESALR2_SAMPLE_20250114_001.xml'));
    const commented = Buffer.from(sample.toString('latin1').replace(/(<Fichier[^>]*>)(.{40})/, '$1$2<!-- a > b -->'), 'latin1');
    const utf8 = Buffer.from(sample.toString('latin1').replace('encoding="ISO-8859-1"', 'encoding="UTF-8"'), 'utf8');
    for (const bytes of [sample, commented, utf8]) {
      const whole = await pesFile('p.xml', bytes);
      for (const size of [1, 7, 4096]) {
        const pieces: Buffer[][] = [];
        const streamed = await pesStream(async function* slices() { for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size); }, (index) => {
          const chunks: Buffer[] = (pieces[index] = []);
          return new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk); done(); } });
        });
        assert.deepEqual(streamed.metadata, whole.metadata, `metadata in pieces of ${size}`);
        assert.deepEqual(streamed.pjs.map((pj) => `${pj.name} ${sha256(Buffer.concat(pieces[pj.index]!))}`), whole.documents.slice(1).map((document) => `${document.name} ${sha256(document.bytes)}`), `PJs in pieces of ${size}`);
      }
    }
    assert.equal(sha256((await pesFile('p.xml', utf8)).documents[1]!.bytes), sha256((await pesFile('p.xml', sample)).documents[1]!.bytes));
  });

  it('keeps a kind not asked for as an ordinary file', async () => {
    const pes = fs.readFileSync(path.join(FIXTURES, 'helios', 'PESALR2_SAMPLE_20250114_001.xml'));
    assert.equal((await decodeEnvelope('p.xml', pes, new Set(['acte_nature']))).outcome, 'not_envelope');
    assert.equal((await decodeEnvelope('plain.pdf', fs.readFileSync(path.join(FIXTURES, 'chorus', 'FA-2025-0001.pdf')), ALL)).outcome, 'not_envelope');
    assert.equal((await decodeEnvelope('x.xml', Buffer.from('<?xml version="1.0"?><Acte xmlns="urn:other"/>'), ALL)).outcome, 'not_envelope', 'an Acte in another namespace is not ACTES');
  });
});

describe('Adullact envelopes: damaged and hostile variants', () => {
  const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-envelopes-'));
  const actes = fs.readFileSync(path.join(FIXTURES, 'actes', 'SLO-EACT--000000000--20250115-1.tar.gz'));
  const pes = fs.readFileSync(path.join(FIXTURES, 'helios', 'PESALR2_SAMPLE_20250114_001.xml'));

  /** An ACTES archive rebuilt with tar(1) from the sample's members plus `extra` (a name or a link), as `tarOptions` say. */
  function actesTar(extra: (dir: string) => string[]): Buffer {
    const dir = scratch();
    try {
      const members = fs.readdirSync(path.join(FIXTURES, 'actes', 's2low-envelope'));
      for (const name of members) fs.copyFileSync(path.join(FIXTURES, 'actes', 's2low-envelope', name), path.join(dir, name));
      const added = extra(dir);
      return execFileSync('tar', ['-czf', '-', '-C', dir, ...members, ...added]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('refuses a truncated ACTES archive, and one with a link or a climbing name, extracting nothing', async () => {
    assert.match(malformedReason(await decodeEnvelope('a.tar.gz', actes.subarray(0, actes.length - 40), ALL)), /gzip|tar|damaged/);
    assert.match(malformedReason(await decodeEnvelope('a.tar.gz', actesTar((dir) => { fs.symlinkSync('/etc/passwd', path.join(dir, 'link.pdf')); return ['link.pdf']; }), ALL)),
      /the member "link\.pdf" is a symlink, not a file/);
    const climbing = actesTar(() => ['--transform', 's,^099-000000000-20250114-2025_DEL_007-DE-1-1_2.pdf$,../escape.pdf,', '099-000000000-20250114-2025_DEL_007-DE-1-1_2.pdf']);
    assert.match(malformedReason(await decodeEnvelope('a.tar.gz', climbing, ALL)), /climbs out of the archive/);
    const ordinary = execFileSync('tar', ['-czf', '-', '-C', path.join(FIXTURES, 'chorus'), 'FA-2025-0001.pdf']);
    assert.equal((await decodeEnvelope('o.tar.gz', ordinary, ALL)).outcome, 'not_envelope', 'an ordinary tar.gz');
  });

  it('refuses an inflation bomb by what it inflates to, not what it declares', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    const reason = malformedReason(await decodeEnvelope('b.xml', Buffer.from(pes.toString('latin1').replace(/<Fichier MIMEType="application\/pdf">[^<]+</, `<Fichier MIMEType="application/pdf">${bomb.toString('base64')}<`), 'latin1'), ALL));
    assert.match(reason, /the PJ FA-2025-0001\.pdf inflates to more than 157286400 bytes/);
  });

  it('refuses bad base64, a DOCTYPE with an entity, and XML that is not well-formed; reads ISO-8859-1 declared as UTF-8', async () => {
    const text = pes.toString('latin1');
    assert.match(malformedReason(await decodeEnvelope('p.xml', Buffer.from(text.replace(/(<Fichier[^>]*>)H4sI/, '$1H4s*'), 'latin1'), ALL)), /the PJ FA-2025-0001\.pdf is not base64/);
    const doctype = text.replace('<n:PES_Aller', '<!DOCTYPE n:PES_Aller [<!ENTITY x "boom">]>\n<n:PES_Aller');
    assert.match(malformedReason(await decodeEnvelope('p.xml', Buffer.from(doctype, 'latin1'), ALL)), /DOCTYPE/);
    assert.match(malformedReason(await decodeEnvelope('p.xml', Buffer.from(text.replace('</PES_PJ>', ''), 'latin1'), ALL)), /not well-formed/);
    const liar = Buffer.from(text.replace('encoding="ISO-8859-1"', 'encoding="UTF-8"'), 'latin1');
    const result = await decodeEnvelope('p.xml', liar, ALL);
    assert.equal(result.outcome, 'decoded');
    assert.equal((result as { envelope: Envelope }).envelope.metadata.libelle_col_bud, 'COMMUNE FICTIVE - BUDGET PRINCIPAL');
    const actesXml = fs.readFileSync(path.join(FIXTURES, 'actes', 's2low-envelope', '099-000000000-20250114-2025_DEL_007-DE-1-1_0.xml'));
    const decoded = await decodeEnvelope('099-000000000-20250114-2025_DEL_007-DE-1-1_0.xml', Buffer.from(actesXml.toString('latin1').replace('ISO-8859-1', 'UTF-8'), 'latin1'), ALL);
    assert.equal((decoded as { envelope: Envelope }).envelope.metadata.objet, 'Délibération fictive : tarifs de la médiathèque (échantillon de test)', 'the bytes decide the encoding');
  });

  it('skips ds:Signature subtrees, whose ds:Object may hold a copy of a PJ', async () => {
    const signed = pes.toString('latin1').replace('</Bordereau>', `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Object><PES_PJ><PJ><Contenu><Fichier>!!!</Fichier></Contenu><NomPJ V="evil.pdf"/></PJ></PES_PJ><IdBord V="666"/></ds:Object></ds:Signature></Bordereau>`);
    const result = await decodeEnvelope('p.xml', Buffer.from(signed, 'latin1'), ALL);
    assert.equal(result.outcome, 'decoded', JSON.stringify(result));
    const envelope = (result as { envelope: Envelope }).envelope;
    assert.deepEqual(envelope.metadata.id_bord, ['42']);
    assert.deepEqual(envelope.documents.map((document) => document.name), ['p.xml', 'FA-2025-0001.pdf']);
  });

  it('refuses a Pastell zip whose listed file is missing, and one with a climbing member', async () => {
    const dir = scratch();
    try {
      fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ fichier_pes: ['missing.xml'], objet: 'x' }));
      const missing = execFileSync('zip', ['-q', '-j', '-', path.join(dir, 'metadata.json')]);
      assert.match(malformedReason(await decodeEnvelope('d.zip', missing, ALL)), /the deposit's fichier_pes names missing\.xml, which it lacks/);
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'evil.xml'), 'x');
      fs.copyFileSync(path.join(dir, 'metadata.json'), path.join(dir, 'sub', 'metadata.json'));
      const climbing = execFileSync('zip', ['-q', '-', 'metadata.json', '../evil.xml'], { cwd: path.join(dir, 'sub') });
      const result = await decodeEnvelope('d.zip', climbing, ALL);
      assert.match(malformedReason(result), /climbs out of the archive/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Adullact envelopes: other shapes the specification names', () => {
  const ACTES = 'xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" xmlns:insee="http://xml.insee.fr/schema"';
  const decoded = async (name: string, text: string, encoding: BufferEncoding = 'latin1') => {
    const result = await decodeEnvelope(name, Buffer.from(text, encoding), ALL);
    assert.equal(result.outcome, 'decoded', JSON.stringify(result));
    return (result as { envelope: Envelope }).envelope;
  };

  it('reads an anomaly (1-3) without IDActe from its file name, and a letter (2-1) from IDActe', async () => {
    const anomaly = await decoded('034-210703385-20170612-ARRETE_42-AI-1-3_0.xml', `<?xml version="1.0" encoding="ISO-8859-1"?>
<actes:AnomalieActe ${ACTES} actes:Date="2017-06-13" actes:Nature="3"><actes:Detail>Pièce manquante</actes:Detail>
<actes:ActeRecu actes:Date="2017-06-12" actes:NumeroInterne="ARRETE_42" actes:CodeNatureActe="3"><actes:Objet> Nomination </actes:Objet></actes:ActeRecu></actes:AnomalieActe>`);
    assert.equal(anomaly.producer, 'actes-xml');
    assert.deepEqual(anomaly.documents.map((document) => document.role), ['anomalie']);
    assert.deepEqual({ ...anomaly.metadata }, {
      message_type: '1-3', numero_interne: 'ARRETE_42', code_nature_acte: 3, nature_code: 'AI', date_acte: '2017-06-12', objet: 'Nomination',
      siren: '210703385', departement: '034', id_acte: '034-210703385-20170612-ARRETE_42-AI', date_anomalie: '2017-06-13', anomalie_nature: '3', anomalie_detail: 'Pièce manquante',
    });
    const letter = await decoded('99_AU-02A-000000000-20250110-2025_CT_3-CC-2-1_17.xml', `<?xml version="1.0" encoding="UTF-8"?>
<actes:CourrierSimple ${ACTES} actes:IDActe="02A-000000000-20250110-2025_CT_3-CC" actes:DateCourrierPref="2025-02-01"><actes:Document><actes:NomFichier>x_16.pdf</actes:NomFichier></actes:Document></actes:CourrierSimple>`, 'utf8');
    assert.deepEqual({ ...letter.metadata }, {
      message_type: '2-1', numero_interne: '2025_CT_3', nature_code: 'CC', code_nature_acte: 4, date_acte: '2025-01-10',
      siren: '000000000', departement: '02A', id_acte: '02A-000000000-20250110-2025_CT_3-CC', date_courrier: '2025-02-01',
    });
    assert.deepEqual(letter.documents.map((document) => document.role), ['courrier_simple']);
  });

  it('reads an old-style PES_Acquit, a PES_Retour with CodColl, and a PJ-only PES', async () => {
    const acquit = await decoded('acq.xml', `<?xml version="1.0" encoding="ISO-8859-1"?><n:PES_Acquit xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes"><EnTetePES><IdColl V="21340172200017"/></EnTetePES>
<ACQUIT><ElementACQUIT><EtatAck V="1"/><NumBord V="7"/><ExerciceBord V="2024"/></ElementACQUIT><ElementACQUIT><EtatAck V="2"/><IdUnique V="PJ9"/></ElementACQUIT></ACQUIT></n:PES_Acquit>`);
    assert.equal(acquit.metadata.root, 'PES_ACQUIT');
    assert.equal(acquit.metadata.etat_ack, '0', 'acquitted only when every EtatAck is 1');
    assert.deepEqual(acquit.metadata.pj_id_unique, ['PJ9']);
    assert.equal(acquit.metadata.siren, '213401722');
    assert.deepEqual(acquit.documents.map((document) => document.role), ['pes_acquit']);
    const retour = await decoded('ret.xml', `<n:PES_Retour xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour"><Enveloppe><Parametres><TypFic V="PESRETOUR_DEP"/></Parametres></Enveloppe>
<EnTetePES><CodColl V="12"/></EnTetePES><PES_DepenseRetour><Bordereau><Piece><InfoPiece><IdPce V="5"/><EtatPce V="2"/></InfoPiece></Piece><Piece><InfoPiece><IdPce V="5"/><EtatPce V="3"/></InfoPiece></Piece></Bordereau></PES_DepenseRetour></n:PES_Retour>`, 'utf8');
    assert.deepEqual({ root: retour.metadata.root, cod_col: retour.metadata.cod_col, domaine: retour.metadata.domaine, id_pce: retour.metadata.id_pce, etat_pce: retour.metadata.etat_pce },
      { root: 'PES_Retour', cod_col: '12', domaine: 'depense', id_pce: ['5'], etat_pce: ['2', '3'] }, 'lists hold distinct values');
    const pdf = Buffer.from('%PDF-1.4 a supporting document\n');
    const pjOnly = await decoded('pj.xml', `<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"><PES_PJ><PJ><Contenu><Fichier MIMEType="application/pdf">
${zlib.gzipSync(pdf).toString('base64').replace(/.{20}/g, '$&\n')}</Fichier></Contenu><IdUnique V="U1"/><NomPJ V="devis.pdf"/><RefCompta><Exercice V="2026"/></RefCompta></PJ></PES_PJ></n:PES_Aller>`, 'utf8');
    assert.equal(pjOnly.metadata.domaine, undefined);
    assert.equal(pjOnly.metadata.exercice, '2026', 'from the PJ when there is no bordereau');
    assert.deepEqual(pjOnly.documents.map((document) => `${document.name} ${document.role}`), ['pj.xml pes', 'devis.pdf pj']);
    assert.equal(sha256(pjOnly.documents[1]!.bytes), sha256(pdf), 'the PJ unwrapped at 20 columns, base64 then gunzip, byte for byte');
  });

  it('reads a UBL credit note, and keeps amounts as written', async () => {
    const note = await decoded('cn.xml', `<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
<cbc:ID>AV-7</cbc:ID><cbc:IssueDate>2025-03-01</cbc:IssueDate><cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
<cac:LegalMonetaryTotal><cbc:TaxInclusiveAmount currencyID="EUR">3245.000000</cbc:TaxInclusiveAmount></cac:LegalMonetaryTotal></CreditNote>`, 'utf8');
    assert.equal(note.producer, 'ubl');
    assert.deepEqual({ number: note.metadata.invoice_number, type: note.metadata.invoice_type, total: note.metadata.total_ttc }, { number: 'AV-7', type: '381', total: '3245.000000' });
  });

  it('reads a Pastell deposit described in YAML (metadata.txt), and refuses an alias bomb in it', async () => {
    const pes = fs.readFileSync(path.join(FIXTURES, 'helios', 'PESALR2_SAMPLE_20250114_001.xml'));
    const yaml = Buffer.from('objet: PESALR2_SAMPLE_20250114_001\nid_coll: "00000000000000"\nexercice: 2025\nfichier_pes:\n  - PESALR2_SAMPLE_20250114_001.xml\n');
    const envelope = pastellDeposit(new Map([['metadata.txt', yaml], ['PESALR2_SAMPLE_20250114_001.xml', pes]]), false);
    assert.equal(envelope?.kind, 'helios');
    assert.deepEqual({ ...envelope?.metadata }, { objet: 'PESALR2_SAMPLE_20250114_001', id_coll: '00000000000000', exercice: '2025' }, 'values stay strings');
    assert.deepEqual(envelope?.documents.map((document) => `${document.name} ${document.role}`), ['PESALR2_SAMPLE_20250114_001.xml pes']);
    const bomb = Buffer.from('a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nfichier_pes: [*c]\n');
    assert.equal(pastellDeposit(new Map([['metadata.txt', bomb]]), false), undefined, 'aliases refused: not read as a deposit');
  });

  it('reads a Pastell deposit described in metadata.xml, whatever its zip calls it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-envelopes-'));
    try {
      const source = path.join(FIXTURES, 'pastell-depot', 'facture-cpp_FA-2025-0001');
      for (const name of fs.readdirSync(source)) fs.copyFileSync(path.join(source, name), path.join(dir, name));
      const zip = execFileSync('zip', ['-q', '-j', '-', ...fs.readdirSync(dir).map((name) => path.join(dir, name))]);
      const result = await decodeEnvelope('depot.bin', zip, ALL);
      assert.equal(result.outcome, 'decoded');
      const envelope = (result as { envelope: Envelope }).envelope;
      assert.equal(envelope.kind, 'chorus_fact');
      assert.equal(envelope.archive, true, 'the zip is the source');
      assert.deepEqual(envelope.documents.map((document) => document.role).sort(), ['facture_pdf', 'facture_xml']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Adullact envelopes: what is looked at', () => {
  it('reads further only a zip, a gzip of an asked-for ACTES, an XML, or a PDF when invoices are asked for', async () => {
    const { mayBeEnvelope } = await import('../../lib/envelopes/decode.js');
    const head = (file: string) => fs.readFileSync(path.join(FIXTURES, file)).subarray(0, 1024);
    assert.equal(mayBeEnvelope(head('actes/SLO-EACT--000000000--20250115-1.tar.gz'), ALL), true);
    assert.equal(mayBeEnvelope(head('actes/SLO-EACT--000000000--20250115-1.tar.gz'), new Set(['helios'])), false);
    assert.equal(mayBeEnvelope(head('chorus/FA-2025-0001.pdf'), new Set(['acte_nature', 'helios'])), false);
    assert.equal(mayBeEnvelope(head('chorus/FA-2025-0001.facturx.pdf'), ALL), true);
    assert.equal(mayBeEnvelope(head('helios/PESALR2_SAMPLE_20250114_001.xml'), new Set(['helios'])), true);
    assert.equal(mayBeEnvelope(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), ALL), false, 'a JPEG is not read');
  });
});
