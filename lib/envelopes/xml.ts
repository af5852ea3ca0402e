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
 * The whole document as a tree, without ds:Signature subtrees. Throws MalformedEnvelope for
 * a DOCTYPE, an undeclared entity, or anything not well-formed.
 */
export function parseXml(bytes: Buffer): XmlElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let skipping = 0;
  parser.on('doctype', () => { throw new MalformedEnvelope('the XML has a DOCTYPE (no DTD is accepted)'); });
  parser.on('opentag', (tag) => {
    if (skipping > 0 || (tag.local === 'Signature' && tag.uri === XMLDSIG)) {
      skipping += 1;
      return;
    }
    const attributes = new Map<string, string>();
    for (const attribute of Object.values(tag.attributes)) {
      if (typeof attribute === 'string') continue;
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
      attributes.set(attribute.local, attribute.value);
    }
    const element: XmlElement = { name: tag.local ?? tag.name, ns: tag.uri ?? '', attributes, children: [], text: '' };
    stack.at(-1)?.children.push(element);
    root ??= element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    if (skipping > 0) skipping -= 1;
    else stack.pop();
  });
  const addText = (text: string) => {
    const current = stack.at(-1);
    if (current && skipping === 0) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(xmlText(bytes)).close();
  } catch (error) {
    if (error instanceof MalformedEnvelope) throw error;
    throw new MalformedEnvelope(`the XML is not well-formed (${(error as Error).message.split('\n')[0]})`);
  }
  if (!root) throw new MalformedEnvelope('the XML has no root element');
  return root;
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
