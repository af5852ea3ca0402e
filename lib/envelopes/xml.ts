// The XML of envelopes, read by saxes (a well-kept SAX parser) into a small tree: no DTD, no
// entities beyond the five predefined ones (a document with <!DOCTYPE is malformed), the
// bytes deciding the encoding (valid UTF-8 is read as UTF-8, anything else as ISO-8859-1,
// whatever the declaration says: S²LOW re-encodes files without changing it), and every
// ds:Signature subtree left out, as its ds:Object may hold copies of the signed elements.
import { SaxesParser } from 'saxes';
import { MalformedEnvelope } from './types.js';

const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

export interface XmlElement {
  /** the local name, without prefix */
  readonly name: string;
  readonly ns: string;
  /** attributes by local name (their prefixes dropped: actes:Date is Date) */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** the element's own text, untrimmed */
  text: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of XML bytes: UTF-8 when the bytes are valid UTF-8, else ISO-8859-1. */
export function xmlText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return bytes.toString('latin1');
  }
}

/** Whether bytes look like XML at all: a `<` first, after white space and a BOM. */
export function looksLikeXml(bytes: Buffer): boolean {
  const start = bytes.subarray(0, 64).toString('latin1').replace(/^(\xEF\xBB\xBF)?\s*/, '');
  return start.startsWith('<');
}

export interface XmlRoot {
  readonly name: string;
  readonly ns: string;
  /** the prolog held a <!DOCTYPE>: a recognised root makes the file a malformed envelope */
  readonly doctype: boolean;
}

/** The root element's name and namespace: the first start tag after the prolog; undefined when the bytes are not XML. */
export function xmlRoot(bytes: Buffer): XmlRoot | undefined {
  if (!looksLikeXml(bytes)) return undefined;
  const parser = new SaxesParser({ xmlns: true });
  let root: XmlRoot | undefined;
  let doctype = false;
  parser.on('doctype', () => { doctype = true; });
  parser.on('opentag', (tag) => { root ??= { name: tag.local ?? tag.name, ns: tag.uri ?? '', doctype }; });
  const text = xmlText(bytes);
  // Only the prolog and the first tag are needed: fed in slices, stopped at the root.
  try {
    for (let offset = 0; offset < text.length && !root; offset += 4096) parser.write(text.slice(offset, offset + 4096));
  } catch {
    return root;
  }
  return root;
}

/**
 * Where the text of an element goes instead of the tree (a PES's embedded documents, which
 * may be most of a 150 MiB file): written as the parser reads it, ended at the element's end.
 */
export interface TextSink {
  write(text: string): void;
  end(): void;
}

/**
 * The tree a SaxesParser's events build, without ds:Signature subtrees; `divert(open)` may
 * take the text of the element just opened (the last of `open`, its ancestors before it)
 * away from the tree.
 */
class TreeBuilder {
  readonly parser = new SaxesParser({ xmlns: true });
  private readonly stack: XmlElement[] = [];
  /** the sink of each open element whose text is diverted */
  private readonly sinks = new Map<XmlElement, TextSink>();
  private root: XmlElement | undefined;
  private skipping = 0;
  /** the sink of the innermost open element, when its text is diverted: see parseXmlStream */
  diverting: TextSink | undefined;

  constructor(divert?: (open: readonly XmlElement[]) => TextSink | undefined) {
    const { parser } = this;
    parser.on('doctype', () => { throw new MalformedEnvelope('the XML has a DOCTYPE (no DTD is accepted)'); });
    parser.on('opentag', (tag) => {
      if (this.skipping > 0 || (tag.local === 'Signature' && tag.uri === XMLDSIG)) {
        this.skipping += 1;
        return;
      }
      const attributes = new Map<string, string>();
      for (const attribute of Object.values(tag.attributes)) {
        if (typeof attribute === 'string') continue;
        if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
        attributes.set(attribute.local, attribute.value);
      }
      const element: XmlElement = { name: tag.local ?? tag.name, ns: tag.uri ?? '', attributes, children: [], text: '' };
      this.stack.at(-1)?.children.push(element);
      this.root ??= element;
      this.stack.push(element);
      const sink = divert?.(this.stack);
      if (sink) this.sinks.set(element, sink);
      this.diverting = sink;
    });
    parser.on('closetag', () => {
      if (this.skipping > 0) {
        this.skipping -= 1;
        return;
      }
      const element = this.stack.pop();
      const sink = element && this.sinks.get(element);
      if (sink) {
        this.sinks.delete(element!);
        sink.end();
      }
      const parent = this.stack.at(-1);
      this.diverting = parent && this.sinks.get(parent);
    });
    const addText = (text: string) => {
      const current = this.stack.at(-1);
      if (!current || this.skipping > 0) return;
      const sink = this.sinks.get(current);
      if (sink) sink.write(text);
      else current.text += text;
    };
    parser.on('text', addText);
    parser.on('cdata', addText);
  }

  /** Feeds text; a fault of the document becomes MalformedEnvelope. */
  write(text: string): void {
    notWellFormed(() => this.parser.write(text));
  }

  finish(): XmlElement {
    notWellFormed(() => this.parser.close());
    if (!this.root) throw new MalformedEnvelope('the XML has no root element');
    return this.root;
  }
}

function notWellFormed(parse: () => void): void {
  try {
    parse();
  } catch (error) {
    if (error instanceof MalformedEnvelope) throw error;
    throw new MalformedEnvelope(`the XML is not well-formed (${(error as Error).message.split('\n')[0]})`);
  }
}

/**
 * The whole document as a tree, without ds:Signature subtrees. Throws MalformedEnvelope for
 * a DOCTYPE, an undeclared entity, or anything not well-formed.
 */
export function parseXml(bytes: Buffer): XmlElement {
  const builder = new TreeBuilder();
  builder.write(xmlText(bytes));
  return builder.finish();
}

/**
 * parseXml on a file too large to hold, read twice by `open`: once to learn whether its bytes
 * are UTF-8 (the bytes decide, as for xmlText), then parsed as it is read, `divert` taking
 * the text of the elements it names. `settle` runs after each chunk: where the diverted
 * text's writers wait for their disks, so memory stays bounded.
 */
export async function parseXmlStream(open: () => AsyncIterable<Buffer>, divert: (open: readonly XmlElement[]) => TextSink | undefined, settle: () => Promise<void>): Promise<XmlElement> {
  let utf8Valid = true;
  const check = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of open()) check.decode(chunk, { stream: true });
    check.decode();
  } catch {
    utf8Valid = false;
  }
  // TextDecoder drops a UTF-8 BOM; its "latin1" is windows-1252, so ISO-8859-1 is Buffer's, a byte a character.
  const decoder = utf8Valid ? new TextDecoder('utf-8') : undefined;
  const builder = new TreeBuilder(divert);
  for await (const chunk of open()) {
    feedDiverting(builder, decoder ? decoder.decode(chunk, { stream: true }) : chunk.toString('latin1'));
    await settle();
  }
  if (decoder) feedDiverting(builder, decoder.decode());
  return builder.finish();
}

/**
 * Feeds text to the parser, except a diverted element's character data, which goes to its
 * sink at once: saxes keeps an element's text until the next `<`, which would be all of a
 * 40 MiB PJ at once. The text is fed up to each `>`: after a tag's end the parser reads
 * character data, and up to the next `<` it is the element's own. (What comes after a
 * comment inside such an element goes through the parser, as text usually does.)
 */
function feedDiverting(builder: TreeBuilder, text: string): void {
  let at = 0;
  while (at < text.length) {
    const sink = builder.diverting;
    if (sink) {
      const tag = text.indexOf('<', at);
      const end = tag < 0 ? text.length : tag;
      if (end > at) sink.write(text.slice(at, end));
      at = end;
      if (tag < 0) return;
      builder.diverting = undefined; // the tag may be anything; its events say what follows
    }
    const close = text.indexOf('>', at);
    const end = close < 0 ? text.length : close + 1;
    builder.write(text.slice(at, end));
    at = end;
  }
}

/** The first child of that local name, along a path (`Enveloppe/Parametres/TypFic`). */
export function child(element: XmlElement | undefined, path: string): XmlElement | undefined {
  let current = element;
  for (const name of path.split('/')) current = current?.children.find((candidate) => candidate.name === name);
  return current;
}

/** Every element at the end of a path, in document order. */
export function children(element: XmlElement | undefined, path: string): XmlElement[] {
  let current: XmlElement[] = element ? [element] : [];
  for (const name of path.split('/')) current = current.flatMap((parent) => parent.children.filter((candidate) => candidate.name === name));
  return current;
}

/** Every element of that local name below, at any depth, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (parent: XmlElement) => {
    for (const candidate of parent.children) {
      if (candidate.name === name) found.push(candidate);
      visit(candidate);
    }
  };
  visit(element);
  return found;
}

/** The trimmed text at a path, or undefined. */
export function textAt(element: XmlElement | undefined, path: string): string | undefined {
  const found = child(element, path);
  return found ? found.text.trim() : undefined;
}

/** A `V` attribute at a path (PES: `<IdBord V="42"/>`), trimmed. */
export function valueAt(element: XmlElement | undefined, path: string): string | undefined {
  return child(element, path)?.attributes.get('V')?.trim();
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of base64 text embedded in an element (wrapped or not), strictly: anything else makes the envelope malformed. */
export function base64Content(element: XmlElement | undefined, what: string): Buffer {
  const text = (element?.text ?? '').replace(/\s+/g, '');
  if (text === '' || text.length % 4 !== 0 || !BASE64.test(text)) throw new MalformedEnvelope(`${what} is not base64`);
  return Buffer.from(text, 'base64');
}

/** The distinct values in document order (Pastell's array_unique). */
export function distinct(values: ReadonlyArray<string | undefined>): string[] {
  return [...new Set(values.filter((value): value is string => value !== undefined && value !== ''))];
}
