// What an envelope decoder gives (../shared/fixtures/adullact/README.md 6): the kind, the
// producer, the metadata with the specification's keys and types, and every document with
// its role, byte for byte; or why a recognised envelope is malformed.

export type EnvelopeKind = 'acte_nature' | 'helios' | 'chorus_fact';
export const ENVELOPE_KINDS: readonly EnvelopeKind[] = ['acte_nature', 'helios', 'chorus_fact'];

export type MetadataValue = string | number | boolean | string[];

export interface EnvelopeDocument {
  readonly name: string;
  readonly role: string;
  readonly bytes: Buffer;
  /** where inside the envelope it was found, when it was extracted */
  readonly extractedFrom?: string;
  /** the input itself (a bare XML, a Factur-X PDF): written once, with its document role */
  readonly isInput?: boolean;
}

export interface Envelope {
  readonly kind: EnvelopeKind;
  readonly producer: string;
  readonly metadata: Record<string, MetadataValue>;
  readonly documents: EnvelopeDocument[];
  /** the input is an archive (tar.gz, zip) that is not itself a document: written with role `source` */
  readonly archive: boolean;
}

export type EnvelopeResult =
  | { readonly outcome: 'not_envelope' }
  | { readonly outcome: 'decoded'; readonly envelope: Envelope }
  | { readonly outcome: 'malformed'; readonly kind: EnvelopeKind | undefined; readonly producer: string; readonly reason: string };

/** A recognised envelope that cannot be taken apart: the reason is said in quarantine. */
export class MalformedEnvelope extends Error {}

/** Pastell's limit for an act and its annexes, the cap on any one document (157 286 400 bytes). */
export const DOCUMENT_CAP = 150 * 1024 * 1024;
