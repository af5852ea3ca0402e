// Helios PES V2 (`helios`, ../shared/fixtures/adullact/README.md 3): one XML file, its
// embedded supporting documents (PES_PJ/PJ: base64, then gzip) taken out as the file is
// read, never held whole (a PES may be 150 MiB of them); metadata after Pastell's
// PESAllerFile, lists holding distinct values in document order.
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DOCUMENT_CAP, type Envelope, MalformedEnvelope, type MetadataValue } from './types.js';
import { child, children, descendants, distinct, parseXmlStream, type TextSink, valueAt, type XmlElement } from './xml.js';

const PES_NS_START = 'http://www.minefi.gouv.fr/cp/helios/';
/** Root names compared case-insensitively (older acknowledgements say PES_Acquit), normalised. */
const ROOTS: Readonly<Record<string, { root: string; role: string }>> = {
  pes_aller: { root: 'PES_Aller', role: 'pes' },
  pes_acquit: { root: 'PES_ACQUIT', role: 'pes_acquit' },
  pes_retour: { root: 'PES_Retour', role: 'pes_retour' },
};

export function isPesRoot(name: string, ns: string): boolean {
  return ns.startsWith(PES_NS_START) && ROOTS[name.toLowerCase()] !== undefined;
}

function pesMetadata(root: XmlElement, normalised: string): Record<string, MetadataValue> {
  const metadata: Record<string, MetadataValue> = { root: normalised };
  const set = (key: string, value: string | undefined) => { if (value !== undefined && value !== '') metadata[key] = value; };
  const list = (key: string, values: Array<string | undefined>) => { const unique = distinct(values); if (unique.length > 0) metadata[key] = unique; };
  set('typ_fic', valueAt(root, 'Enveloppe/Parametres/TypFic'));
  set('nom_fic', valueAt(root, 'Enveloppe/Parametres/NomFic'));
  const header = child(root, 'EnTetePES');
  const idColl = valueAt(header, 'IdColl');
  set('id_coll', idColl);
  if (idColl && /^\d{9}/.test(idColl)) metadata.siren = idColl.slice(0, 9);
  set('dte_str', valueAt(header, 'DteStr'));
  set('id_post', valueAt(header, 'IdPost'));
  set('cod_col', valueAt(header, 'CodCol') ?? valueAt(header, 'CodColl'));
  set('cod_bud', valueAt(header, 'CodBud'));
  set('libelle_col_bud', valueAt(header, 'LibelleColBud'));
  const domain = root.children.find((element) => /^PES_(Depense|Recette)/.test(element.name));
  if (domain) metadata.domaine = domain.name.startsWith('PES_Depense') ? 'depense' : 'recette';
  const bordereaux = domain ? children(domain, 'Bordereau') : [];
  const exercice = bordereaux.map((bordereau) => valueAt(bordereau, 'BlocBordereau/Exer')).find(Boolean)
    ?? children(root, 'PES_PJ/PJ').map((pj) => valueAt(pj, 'RefCompta/Exercice')).find(Boolean);
  set('exercice', exercice);
  list('id_bord', bordereaux.map((bordereau) => valueAt(bordereau, 'BlocBordereau/IdBord')));
  const pieces = bordereaux.flatMap((bordereau) => children(bordereau, 'Piece'));
  list('id_pce', pieces.map((piece) => valueAt(piece, 'BlocPiece/InfoPce/IdPce') ?? valueAt(piece, 'InfoPiece/IdPce')));
  const lines = pieces.flatMap((piece) => [...descendants(piece, 'InfoLignePce'), ...descendants(piece, 'InfoLignePiece')]);
  list('nature', lines.map((line) => valueAt(line, 'Nature')));
  list('fonction', lines.map((line) => valueAt(line, 'Fonction')));
  if (normalised === 'PES_Retour') list('etat_pce', pieces.map((piece) => valueAt(piece, 'InfoPiece/EtatPce')));
  if (normalised === 'PES_ACQUIT') {
    const elements = children(root, 'ACQUIT/ElementACQUIT');
    list('pj_id_unique', elements.map((element) => valueAt(element, 'IdUnique')));
    const states = elements.map((element) => valueAt(element, 'EtatAck'));
    if (states.length > 0) metadata.etat_ack = states.every((state) => state === '1') ? '1' : '0';
    list('num_bord', elements.map((element) => valueAt(element, 'NumBord')));
    list('exercice_bord', elements.map((element) => valueAt(element, 'ExerciceBord')));
  } else {
    list('pj_id_unique', children(root, 'PES_PJ/PJ').map((pj) => valueAt(pj, 'IdUnique')));
  }
  return metadata;
}

/** A PJ's content as it is decoded: its base64 text in, its gunzipped bytes out to `destination`. */
interface PjStream {
  readonly sink: TextSink;
  /** settles once the bytes are all out (or the PJ found damaged) */
  readonly done: Promise<void>;
  /** what is wrong with the PJ's content, once known: said with its name at the end */
  readonly failure: () => string | undefined;
  /** waits while the inflater holds more than it should (its destination is slower) */
  readonly drained: () => Promise<void>;
}

const BASE64_CHARACTERS = /^[A-Za-z0-9+/=]*$/;

/** Strict base64 in, bytes out, as the text comes: padding only at the very end, whole quanta. */
class Base64Text {
  private carry = '';
  private padded = false;
  private seen = 0;

  /** The bytes of the text given so far, or undefined when it is not base64. */
  decode(text: string): Buffer | undefined {
    const clean = text.replace(/\s+/g, '');
    if (clean === '') return Buffer.alloc(0);
    // After a padded quantum nothing may come; `=` only ends the text, at most two of them.
    if (!BASE64_CHARACTERS.test(clean) || this.padded) return undefined;
    this.seen += clean.length;
    const all = this.carry + clean;
    const padding = all.indexOf('=');
    if (padding >= 0 && (!/^=*$/.test(all.slice(padding)) || all.length - padding > 2)) return undefined;
    const whole = all.length - (all.length % 4);
    this.carry = all.slice(whole);
    if (padding >= 0 && padding < whole) this.padded = true;
    return Buffer.from(all.slice(0, whole), 'base64');
  }

  /** Whether the text as a whole was base64: something, in whole quanta. */
  complete(): boolean {
    return this.seen > 0 && this.carry === '';
  }
}

/** Thrown into a PJ's inflater to stop it: the reason is kept, not thrown at the PES. */
class PjDamaged extends Error {}

function pjStream(destination: Writable): PjStream {
  const gunzip = zlib.createGunzip();
  const base64 = new Base64Text();
  let failure: string | undefined;
  let ended = false;
  let inflated = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      if (inflated > DOCUMENT_CAP) done(new PjDamaged(`inflates to more than ${DOCUMENT_CAP} bytes`));
      else done(null, chunk);
    },
  });
  const fail = (why: string) => {
    failure ??= why;
    gunzip.destroy(new PjDamaged(why));
  };
  const done = pipeline(gunzip, capped, destination).catch((error: unknown) => {
    if (error instanceof PjDamaged) failure ??= error.message;
    else if (typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).code!.startsWith('Z_')) failure ??= `is not a sound gzip stream (${(error as Error).message})`;
    else if (failure === undefined) throw error; // the destination's: a disk, not the PES
  });
  return {
    sink: {
      write(text) {
        if (failure !== undefined) return;
        const bytes = base64.decode(text);
        if (bytes === undefined) fail('is not base64');
        else if (bytes.length > 0) gunzip.write(bytes);
      },
      end() {
        if (ended || failure !== undefined) return;
        ended = true;
        if (!base64.complete()) fail('is not base64');
        else gunzip.end();
      },
    },
    done,
    failure: () => failure,
    drained: async () => {
      if (gunzip.writableNeedDrain && !gunzip.destroyed) await new Promise((resolve) => { gunzip.once('drain', resolve); gunzip.once('close', resolve); });
    },
  };
}

/** A text sink that keeps nothing: a second Fichier in one Contenu is no document. */
const DISCARD: TextSink = { write: () => undefined, end: () => undefined };

/** Where a PES's embedded documents go, one writable each, in the order they come. */
export type PjDestinations = (index: number) => Writable;

/** A PES read as a stream (pesStream): its metadata, and its documents, the PJs by their writable's index. */
export interface StreamedPes {
  readonly metadata: Record<string, MetadataValue>;
  readonly role: string;
  readonly pjs: ReadonlyArray<{ readonly index: number; readonly name: string; readonly role: 'pj'; readonly extractedFrom: string }>;
}

const EXTRACTED_FROM = 'PES_PJ/PJ/Contenu/Fichier';

/**
 * A PES, read from `open` (twice: see parseXmlStream) without holding it: the tree is its
 * structure, each PJ's content goes from its base64 text to its writable as the parser
 * reads it. Memory follows the PES's structure, not the size of its documents.
 */
export async function pesStream(open: () => AsyncIterable<Buffer>, destinations: PjDestinations): Promise<StreamedPes> {
  const streams = new Map<XmlElement, PjStream & { readonly index: number }>();
  const divert = (path: readonly XmlElement[]): TextSink | undefined => {
    const [root, pjs, pj, contenu, fichier] = path;
    if (path.length !== 5 || fichier!.name !== 'Fichier' || contenu!.name !== 'Contenu' || pj!.name !== 'PJ' || pjs!.name !== 'PES_PJ') return undefined;
    if (ROOTS[root!.name.toLowerCase()]?.root !== 'PES_Aller') return undefined;
    if (streams.has(pj!)) return DISCARD;
    const stream = { ...pjStream(destinations(streams.size)), index: streams.size };
    streams.set(pj!, stream);
    return stream.sink;
  };
  let root: XmlElement;
  try {
    root = await parseXmlStream(open, divert, async () => { await Promise.all([...streams.values()].map((stream) => stream.drained())); });
  } finally {
    // Every PJ's writable ends, whatever happened: none is left open on a damaged PES.
    for (const stream of streams.values()) stream.sink.end();
    await Promise.allSettled([...streams.values()].map((stream) => stream.done));
  }
  const known = ROOTS[root.name.toLowerCase()]!;
  const pjs = known.root === 'PES_Aller' ? children(root, 'PES_PJ/PJ') : [];
  const documents = [];
  for (const [index, pj] of pjs.entries()) {
    const name = valueAt(pj, 'NomPJ') ?? `${valueAt(pj, 'IdUnique') ?? `pj-${index + 1}`}.bin`;
    const stream = streams.get(pj);
    await stream?.done;
    const failure = stream ? stream.failure() : 'is not base64';
    if (failure !== undefined) throw new MalformedEnvelope(`the PJ ${name} ${failure}`);
    documents.push({ index: stream!.index, name, role: 'pj' as const, extractedFrom: EXTRACTED_FROM });
  }
  return { metadata: pesMetadata(root, known.root), role: known.role, pjs: documents };
}

/** A PES held in memory (a small one, and the tests): pesStream with its documents kept in memory too. */
export async function pesFile(name: string, bytes: Buffer): Promise<Envelope> {
  const contents: Buffer[][] = [];
  const pes = await pesStream(async function* one() { yield bytes; }, (index) => {
    const chunks: Buffer[] = (contents[index] = []);
    return new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk); done(); } });
  });
  return {
    kind: 'helios', producer: 'pes-xml', archive: false, metadata: pes.metadata,
    documents: [{ name, role: pes.role, bytes, isInput: true }, ...pes.pjs.map((pj) => ({ name: pj.name, role: pj.role, bytes: Buffer.concat(contents[pj.index]!), extractedFrom: pj.extractedFrom }))],
  };
}
