// What a subscribe with `envelopes` does with the files a message yielded, once decoded
// whole (../shared/fixtures/adullact/README.md 6): an envelope's documents become files in
// its kind's directory, each described by an `envelope` object (sidecar, notification); the
// archive it came in stays beside them as its `source` (unless envelopeSource off); a
// malformed envelope is set aside for quarantine with its reason, and nothing of it is
// written under directory. Other files are left as they are.
import crypto from 'node:crypto';
import path from 'node:path';
import { decodeEnvelope, mayBeEnvelope } from '../../envelopes/decode.js';
import { isPesRoot } from '../../envelopes/pes.js';
import { xmlRoot } from '../../envelopes/xml.js';
import { DOCUMENT_CAP, type Envelope, type EnvelopeDocument, type EnvelopeKind, type MetadataValue } from '../../envelopes/types.js';

export interface EnvelopeSettings {
  /** the kinds the `envelopes` option asks for */
  readonly kinds: readonly EnvelopeKind[];
  /** envelopeSource: keep the archive an envelope came in, role source */
  readonly source: boolean;
  /** where a malformed envelope's file and its reason go: <quarantineDirectory>/envelopes */
  readonly quarantineDirectory: string;
}

/** Apart from the whole messages sr quarantine lists: retrying one of those would write its other files again. */
export function envelopeQuarantine(quarantineDirectory: string): string {
  return path.join(quarantineDirectory, 'envelopes');
}

/** The `envelope` object of a file's sidecar and notification. */
export interface EnvelopeInfo {
  readonly kind: EnvelopeKind;
  readonly producer: string;
  /** shared by every file of one envelope and by no other: the message's claim and the part */
  readonly groupId: string;
  readonly groupKey: string;
  readonly role: string;
  readonly metadata: Record<string, MetadataValue>;
  readonly name: string;
  readonly extractedFrom?: string;
}

/** Larger inputs are not looked at: no envelope holds more than the documents' cap, and an archive only a little more. */
export const INPUT_CAP = DOCUMENT_CAP + 4 * 1024 * 1024;
/** What is read of each file to tell whether it may be an envelope at all (a PDF header may come after 1 KiB of junk). */
export const SNIFF_BYTES = 1024;

export type EnvelopeVerdict =
  | { readonly outcome: 'keep' }
  | { readonly outcome: 'documents'; readonly envelope: Envelope; readonly info: (document: Pick<EnvelopeDocument, 'name' | 'role' | 'extractedFrom'>) => EnvelopeInfo }
  | { readonly outcome: 'set_aside'; readonly reason: string };

export function groupIdOf(claimKey: string, partPath: string): string {
  return crypto.createHash('sha256').update(`${claimKey}\n${partPath}`).digest('hex').slice(0, 24);
}

/** The `envelope` object of one document of an envelope. */
export function envelopeInfo(envelope: Pick<Envelope, 'kind' | 'producer' | 'metadata'>, groupId: string, document: Pick<EnvelopeDocument, 'name' | 'role' | 'extractedFrom'>): EnvelopeInfo {
  return {
    kind: envelope.kind, producer: envelope.producer, groupId, groupKey: envelope.kind, role: document.role, metadata: envelope.metadata, name: document.name,
    ...(document.extractedFrom ? { extractedFrom: document.extractedFrom } : {}),
  };
}

/** Why a recognised envelope is set aside, as the log and its reason file say it. */
export function malformedReason(name: string, kind: EnvelopeKind | undefined, producer: string, reason: string): string {
  return `${name}: a malformed ${kind ?? 'Adullact'} envelope (${producer}): ${reason}`;
}

/**
 * Whether a file is a PES, by its first bytes (helios asked): it is read as a stream
 * (pes.ts), never whole. One whose root is not in its first KiB, or with a DOCTYPE, goes the
 * common way, which says what is wrong with it.
 */
export function isPesHead(settings: EnvelopeSettings, head: Buffer): boolean {
  const root = settings.kinds.includes('helios') ? xmlRoot(head) : undefined;
  return root !== undefined && !root.doctype && isPesRoot(root.name, root.ns);
}

/**
 * The verdict on one file of a message, from its first SNIFF_BYTES (`head`) and, when they
 * leave it a chance, its contents; the caller leaves out files empty or over INPUT_CAP.
 * `groupId` names its envelope, if it is one.
 */
export async function envelopeVerdict(settings: EnvelopeSettings, name: string, head: Buffer, file: { contents(): Promise<Buffer> }, groupId: string): Promise<EnvelopeVerdict> {
  const kinds = new Set(settings.kinds);
  if (!mayBeEnvelope(head, kinds)) return { outcome: 'keep' };
  const result = await decodeEnvelope(name, await file.contents(), kinds);
  if (result.outcome === 'not_envelope') return { outcome: 'keep' };
  if (result.outcome === 'malformed') return { outcome: 'set_aside', reason: malformedReason(name, result.kind, result.producer, result.reason) };
  const { envelope } = result;
  return { outcome: 'documents', envelope, info: (document) => envelopeInfo(envelope, groupId, document) };
}

const TYPES: Readonly<Record<string, string>> = { pdf: 'application/pdf', xml: 'application/xml', zip: 'application/zip', gz: 'application/gzip', txt: 'text/plain', json: 'application/json' };

/** The content type of an extracted document, by its name's extension: envelopes do not say. */
export function documentType(name: string): string {
  return TYPES[name.slice(name.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}
