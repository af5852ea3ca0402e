// Which envelope a file is, in the specification's order (../shared/fixtures/adullact/README.md
// 1): a Pastell deposit zip, an ACTES archive, a bare XML by its root, a Factur-X PDF; anything
// else is an ordinary file. Decided by content, never by name or declared type. Once a file
// is recognised, any defect makes it malformed, with the reason; decoding never throws.
import { actesArchive, ACTES_NS, bareActes } from './actes.js';
import { isGzip, isZip, zipMembers } from './archives.js';
import { CII, ciiFile, pivotFile, UBL_CREDIT_NOTE, UBL_INVOICE, ublFile } from './chorus.js';
import { facturxPdf, isPdf } from './facturx.js';
import { METADATA_FILES, pastellDeposit } from './pastell.js';
import { isPesRoot, pesFile } from './pes.js';
import { type Envelope, type EnvelopeKind, type EnvelopeResult, MalformedEnvelope } from './types.js';
import { looksLikeXml, xmlRoot } from './xml.js';

interface XmlKind {
  readonly kind: EnvelopeKind;
  readonly producer: string;
  readonly decode: (name: string, bytes: Buffer) => Envelope | Promise<Envelope>;
}

/** A bare XML's kind, by its root's local name and namespace. */
function xmlKind(name: string, ns: string): XmlKind | undefined {
  if (ns === ACTES_NS) return { kind: 'acte_nature', producer: 'actes-xml', decode: bareActes };
  if (isPesRoot(name, ns)) return { kind: 'helios', producer: 'pes-xml', decode: pesFile };
  if (name === 'CPPFacturePivot' && ns === '') return { kind: 'chorus_fact', producer: 'cpp-pivot', decode: pivotFile };
  if ((name === 'Invoice' && ns === UBL_INVOICE) || (name === 'CreditNote' && ns === UBL_CREDIT_NOTE)) return { kind: 'chorus_fact', producer: 'ubl', decode: ublFile };
  if (name === 'CrossIndustryInvoice' && ns === CII) return { kind: 'chorus_fact', producer: 'cii', decode: ciiFile };
  return undefined;
}

const NOT_ENVELOPE: EnvelopeResult = { outcome: 'not_envelope' };

/** A damaged zip whose bytes still name a deposit's metadata file at its root is a damaged deposit. */
function namesDepositMetadata(bytes: Buffer): boolean {
  return METADATA_FILES.some((name) => bytes.includes(Buffer.from(name)));
}

type Recognised = Envelope | { malformed: string; kind?: EnvelopeKind; producer: string } | undefined;

/** `decode`'s envelope, or, when it finds the input malformed, that and why, under `producer`. */
async function guarded(producer: string, kind: EnvelopeKind | undefined, decode: () => Promise<Envelope | undefined> | Envelope | undefined): Promise<Recognised> {
  try {
    return await decode();
  } catch (error) {
    if (!(error instanceof MalformedEnvelope)) throw error;
    return { malformed: error.message, producer, ...(kind ? { kind } : {}) };
  }
}

async function recognise(name: string, bytes: Buffer): Promise<Recognised> {
  if (isZip(bytes)) {
    return guarded('pastell-depot', undefined, async () => {
      let members;
      try {
        members = await zipMembers(bytes);
      } catch (error) {
        if (namesDepositMetadata(bytes)) throw error;
        return undefined;
      }
      return pastellDeposit(new Map(members.filter((member) => !member.name.includes('/')).map((member) => [member.name, member.bytes])), true);
    });
  }
  if (isGzip(bytes)) return guarded('s2low-actes', 'acte_nature', () => actesArchive(bytes));
  const root = xmlRoot(bytes);
  if (root) {
    const known = xmlKind(root.name, root.ns);
    if (!known) return undefined;
    return guarded(known.producer, known.kind, () => {
      if (root.doctype) throw new MalformedEnvelope('the XML has a DOCTYPE (no DTD is accepted)');
      return known.decode(name, bytes);
    });
  }
  if (isPdf(bytes)) return guarded('facturx', 'chorus_fact', () => facturxPdf(name, bytes));
  return undefined;
}

/**
 * Whether a file's first bytes leave it a chance of being an envelope of these kinds: a zip,
 * a gzip, an XML, a PDF. Anything else is not read further (a photo, a Word file).
 */
export function mayBeEnvelope(head: Buffer, kinds: ReadonlySet<EnvelopeKind>): boolean {
  if (isZip(head)) return true; // a Pastell deposit of any kind
  if (isGzip(head)) return kinds.has('acte_nature');
  if (isPdf(head)) return kinds.has('chorus_fact');
  return looksLikeXml(head);
}

/**
 * What the file named `name` is, among the kinds asked for (`envelopes`): an envelope taken
 * apart, a malformed one (with why), or not an envelope. A kind not asked for is an ordinary file.
 */
export async function decodeEnvelope(name: string, bytes: Buffer, kinds: ReadonlySet<EnvelopeKind>): Promise<EnvelopeResult> {
  return resultOf(await recognisedSafely(() => recognise(name, bytes)), kinds);
}

/**
 * A directory's files by name (a Pastell deposit in directory mode, README 5): a deposit
 * taken apart, a malformed one, or no deposit at all.
 */
export async function decodeDepositDirectory(files: ReadonlyMap<string, Buffer>, kinds: ReadonlySet<EnvelopeKind>): Promise<EnvelopeResult> {
  return resultOf(await recognisedSafely(() => guarded('pastell-depot', undefined, () => pastellDeposit(files, false))), kinds);
}

async function recognisedSafely(recognising: () => Promise<Recognised>): Promise<Recognised> {
  try {
    return await recognising();
  } catch (error) {
    // A fault of a library on hostile bytes: said as a malformed input, never thrown at the message.
    return { malformed: `it cannot be read (${(error as Error).message})`, producer: 'unknown' };
  }
}

function resultOf(found: Recognised, kinds: ReadonlySet<EnvelopeKind>): EnvelopeResult {
  if (!found) return NOT_ENVELOPE;
  if ('malformed' in found) {
    if (found.kind && !kinds.has(found.kind)) return NOT_ENVELOPE;
    return { outcome: 'malformed', kind: found.kind, producer: found.producer, reason: found.malformed };
  }
  if (!kinds.has(found.kind)) return NOT_ENVELOPE;
  return { outcome: 'decoded', envelope: found };
}
