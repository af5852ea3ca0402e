// ACTES (`acte_nature`, ../shared/fixtures/adullact/README.md 2): S²LOW's tar.gz of a
// legality-control exchange, and an ACTES business XML on its own. Metadata after Pastell's
// ActeEnvelopeParser, with the keys and types the specification decides.
import zlib from 'node:zlib';
import { optional } from '../system/optional.js';
import { tarGzMembers } from './archives.js';
import { type Envelope, type EnvelopeDocument, MalformedEnvelope, type MetadataValue } from './types.js';
import { child, children, parseXml, textAt, type XmlElement, xmlRoot } from './xml.js';

export const ACTES_NS = 'http://www.interieur.gouv.fr/ACTES#v1.1-20040216';

/** typology prefix, department, SIREN, act date, NumeroInterne, nature letters, message type, index, extension */
const FILE_NAME = /^(?:\d{2}_[A-Z0-9]{2}-)?(\d{2}[0-9AB])-(\d{9})-(\d{8})-([0-9A-Z_]{1,15})-(DE|AR|AI|CC|BF|AU)-(\d-\d)_(\d+)\.(\w+)$/;
const ID_ACTE = /^(\d{2}[0-9AB])-(\d{9})-(\d{8})-([0-9A-Z_]{1,15})-(DE|AR|AI|CC|BF|AU)$/;
const ENVELOPE_MEMBER = /^[A-Z]{4}--.+\.xml$/;
const ENVELOPE_ROOTS = new Set(['EnveloppeCLMISILL', 'EnveloppeMISILLCL']);
/** CodeNatureActe 1 to 6 and their letters. */
export const NATURE_LETTERS = ['', 'DE', 'AR', 'AI', 'CC', 'BF', 'AU'];

/** The business XML's root: its message type and its role. */
const MESSAGES: Readonly<Record<string, { type: string; role: string }>> = {
  Acte: { type: '1-1', role: 'metadata' },
  ARActe: { type: '1-2', role: 'aractes' },
  AnomalieActe: { type: '1-3', role: 'anomalie' },
  CourrierSimple: { type: '2-1', role: 'courrier_simple' },
};

/** Decided here: an ACTES root the table does not name keeps its own name, in lower case, as its role. */
function roleOfRoot(root: string): string {
  return MESSAGES[root]?.role ?? root.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

const isoDate = (compact: string) => `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;

/** What an ACTES transport envelope says of the authority (1-1: IDCL; returns: Destinataire). */
interface EnvelopeFacts {
  readonly siren?: string;
  readonly departement?: string;
}

function envelopeFacts(envelope: XmlElement): EnvelopeFacts {
  const idcl = child(envelope, 'Emetteur/IDCL');
  const attribute = (element: XmlElement | undefined, name: string) => element?.attributes.get(name) || undefined;
  if (idcl) return { ...optional('siren', attribute(idcl, 'SIREN')), ...optional('departement', attribute(idcl, 'Departement')) };
  return optional('siren', attribute(child(envelope, 'Destinataire'), 'SIREN'));
}

/** The metadata of an ACTES business XML, named `fileName`, with what its transport envelope says. */
export function actesMetadata(root: XmlElement, fileName: string, facts: EnvelopeFacts = {}): Record<string, MetadataValue> {
  const named = FILE_NAME.exec(fileName);
  const metadata: Record<string, MetadataValue> = {};
  const messageType = named?.[6] ?? MESSAGES[root.name]?.type;
  if (messageType) metadata.message_type = messageType;
  const act = root.name === 'Acte' ? root : child(root, 'ActeRecu');
  const idActe = root.attributes.get('IDActe');
  const fromId = idActe ? ID_ACTE.exec(idActe) : null;
  if (act) {
    const code = act.attributes.get('CodeNatureActe');
    if (act.attributes.get('NumeroInterne')) metadata.numero_interne = act.attributes.get('NumeroInterne')!;
    if (code !== undefined && /^\d+$/.test(code)) {
      metadata.code_nature_acte = Number(code);
      if (NATURE_LETTERS[Number(code)]) metadata.nature_code = NATURE_LETTERS[Number(code)]!;
    }
    if (act.attributes.get('Date')) metadata.date_acte = act.attributes.get('Date')!;
    const objet = textAt(act, 'Objet');
    if (objet !== undefined) metadata.objet = objet;
    const matieres = [1, 2, 3, 4, 5].map((level) => child(act, `CodeMatiere${level}`)?.attributes.get('CodeMatiere')).filter((value): value is string => value !== undefined && value !== '');
    if (matieres.length > 0) metadata.classification = matieres.join('.');
    const annexes = child(act, 'Annexes')?.attributes.get('Nombre');
    if (annexes !== undefined && /^\d+$/.test(annexes)) metadata.annexes_count = Number(annexes);
    const papier = textAt(act, 'DocumentPapier');
    if (papier === 'O' || papier === 'N') metadata.document_papier = papier === 'O';
  } else if (fromId) {
    // A 2-1 has no ActeRecu: the act's keys come from IDActe.
    metadata.numero_interne = fromId[4]!;
    metadata.nature_code = fromId[5]!;
    metadata.code_nature_acte = NATURE_LETTERS.indexOf(fromId[5]!);
    metadata.date_acte = isoDate(fromId[3]!);
  }
  const departement = facts.departement ?? fromId?.[1] ?? named?.[1];
  const siren = facts.siren ?? fromId?.[2] ?? named?.[2];
  if (siren) metadata.siren = siren;
  if (departement) metadata.departement = departement;
  if (idActe) metadata.id_acte = idActe;
  else if (root.name === 'Acte' && departement && siren && metadata.date_acte && metadata.numero_interne && metadata.nature_code) {
    metadata.id_acte = `${departement}-${siren}-${String(metadata.date_acte).replaceAll('-', '')}-${metadata.numero_interne}-${metadata.nature_code}`;
  } else if (named) metadata.id_acte = `${named[1]}-${named[2]}-${named[3]}-${named[4]}-${named[5]}`;
  if (root.name === 'ARActe' && root.attributes.get('DateReception')) metadata.date_reception = root.attributes.get('DateReception')!;
  if (root.name === 'AnomalieActe') {
    const pick = (name: string) => root.attributes.get(name) ?? textAt(root, name);
    for (const [key, name] of [['date_anomalie', 'Date'], ['anomalie_nature', 'Nature'], ['anomalie_detail', 'Detail']] as const) {
      const value = pick(name);
      if (value !== undefined) metadata[key] = value;
    }
  }
  if (root.name === 'CourrierSimple' && root.attributes.get('DateCourrierPref')) metadata.date_courrier = root.attributes.get('DateCourrierPref')!;
  return metadata;
}

/** An ACTES business XML attached on its own: one document, itself. */
export function bareActes(name: string, bytes: Buffer): Envelope {
  const root = parseXml(bytes);
  return {
    kind: 'acte_nature', producer: 'actes-xml', archive: false,
    metadata: actesMetadata(root, name),
    documents: [{ name, role: roleOfRoot(root.name), bytes, isInput: true }],
  };
}

const basename = (name: string) => name.slice(name.lastIndexOf('/') + 1);

/**
 * An S²LOW archive, or undefined when the tar.gz holds no ACTES transport envelope (an
 * ordinary archive). Throws MalformedEnvelope once recognised.
 */
export async function actesArchive(bytes: Buffer): Promise<Envelope | undefined> {
  let members;
  try {
    members = await tarGzMembers(bytes);
  } catch (error) {
    // Damaged before anything said what it is: is it ACTES? Only its readable start can tell.
    if (error instanceof MalformedEnvelope && looksLikeActesTar(bytes)) throw error;
    return undefined;
  }
  const envelopeMember = members.find((member) => ENVELOPE_MEMBER.test(basename(member.name)) && isActesEnvelope(member.bytes));
  if (!envelopeMember) return undefined;
  const envelope = parseXml(envelopeMember.bytes);
  const byName = new Map(members.map((member) => [basename(member.name), member]));
  const businessName = textAt(envelope, 'FormulairesEnvoyes/Formulaire/NomFichier');
  const business = businessName ? byName.get(businessName) : undefined;
  if (!businessName || !business) throw new MalformedEnvelope(`the ACTES envelope names the business XML ${businessName ?? '(none)'}, which the archive lacks`);
  const root = parseXml(business.bytes);
  if (root.ns !== ACTES_NS) throw new MalformedEnvelope(`the business XML ${businessName} is not ACTES (its root is ${root.name} in ${root.ns || 'no namespace'})`);
  const roles = new Map<string, string>([[basename(envelopeMember.name), 'enveloppe'], [businessName, roleOfRoot(root.name)]]);
  const needed = (names: string[], role: string) => {
    for (const name of names) {
      if (!byName.has(name)) throw new MalformedEnvelope(`the business XML names ${name} (${role}), which the archive lacks`);
      roles.set(name, role);
    }
  };
  if (root.name === 'Acte') {
    needed(children(root, 'Document/NomFichier').map((element) => element.text.trim()), 'acte');
    needed(children(root, 'Annexes/Annexe/NomFichier').map((element) => element.text.trim()), 'annexe');
  } else if (root.name === 'CourrierSimple') {
    needed(children(root, 'Document/NomFichier').map((element) => element.text.trim()), 'courrier');
  }
  const documents: EnvelopeDocument[] = members.map((member) => ({ name: basename(member.name), role: roles.get(basename(member.name)) ?? 'autre', bytes: member.bytes }));
  return { kind: 'acte_nature', producer: 's2low-actes', archive: true, metadata: actesMetadata(root, businessName, envelopeFacts(envelope)), documents };
}

function isActesEnvelope(bytes: Buffer): boolean {
  const root = xmlRoot(bytes);
  return root !== undefined && root.ns === ACTES_NS && ENVELOPE_ROOTS.has(root.name);
}

/** A damaged archive's readable start names an ACTES envelope member (tar names sit in the first 100 bytes of each header). */
function looksLikeActesTar(bytes: Buffer): boolean {
  try {
    const start = zlibStart(bytes);
    return /[A-Z]{4}--[^\0/]+\.xml\0/.test(start.toString('latin1')) && start.includes(Buffer.from('Enveloppe'));
  } catch {
    return false;
  }
}

function zlibStart(bytes: Buffer): Buffer {
  return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 1024 * 1024 });
}
