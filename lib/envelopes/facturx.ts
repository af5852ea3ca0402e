// Factur-X / ZUGFeRD (../shared/fixtures/adullact/README.md 4): a PDF whose name tree
// /Names /EmbeddedFiles holds factur-x.xml or zugferd-invoice.xml. pdf-lib reads the PDF's
// objects (docs/decisions.md); the embedded stream is inflated under the cap.
import zlib from 'node:zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFString, PDFHexString, type PDFObject } from 'pdf-lib';
import { ciiMetadata } from './chorus.js';
import { DOCUMENT_CAP, type Envelope, MalformedEnvelope } from './types.js';
import { parseXml } from './xml.js';

const INVOICE_NAMES = new Set(['factur-x.xml', 'zugferd-invoice.xml']);

export function isPdf(bytes: Buffer): boolean {
  return bytes.subarray(0, 1024).includes(Buffer.from('%PDF-'));
}

/** The embedded files of the name tree, by name (leaves and kids, to a sane depth). */
function embeddedFiles(document: PDFDocument): Map<string, PDFDict> {
  const found = new Map<string, PDFDict>();
  const lookup = (object: PDFObject | undefined): PDFObject | undefined => (object ? document.context.lookup(object) : undefined);
  const names = lookup(document.catalog.get(PDFName.of('Names')));
  const tree = names instanceof PDFDict ? lookup(names.get(PDFName.of('EmbeddedFiles'))) : undefined;
  const visit = (node: PDFObject | undefined, depth: number) => {
    if (!(node instanceof PDFDict) || depth > 8) return;
    const leaves = lookup(node.get(PDFName.of('Names')));
    if (leaves instanceof PDFArray) {
      for (let index = 0; index + 1 < leaves.size(); index += 2) {
        const key = lookup(leaves.get(index));
        const spec = lookup(leaves.get(index + 1));
        const name = key instanceof PDFString || key instanceof PDFHexString ? key.decodeText() : undefined;
        if (name && spec instanceof PDFDict) found.set(name, spec);
      }
    }
    const kids = lookup(node.get(PDFName.of('Kids')));
    if (kids instanceof PDFArray) for (let index = 0; index < kids.size(); index += 1) visit(lookup(kids.get(index)), depth + 1);
  };
  visit(tree, 0);
  return found;
}

/** The embedded file's bytes, inflated when /FlateDecode. */
function fileBytes(document: PDFDocument, spec: PDFDict, name: string): Buffer {
  const ef = document.context.lookup(spec.get(PDFName.of('EF')));
  const stream = ef instanceof PDFDict ? document.context.lookup(ef.get(PDFName.of('F')) ?? ef.get(PDFName.of('UF'))) : undefined;
  if (!(stream instanceof PDFRawStream)) throw new MalformedEnvelope(`the PDF names ${name} but holds no stream for it`);
  const filter = stream.dict.get(PDFName.of('Filter'));
  const raw = Buffer.from(stream.contents);
  if (filter === undefined) return raw;
  if (filter instanceof PDFName && filter.asString() === '/FlateDecode') {
    try {
      return zlib.inflateSync(raw, { maxOutputLength: DOCUMENT_CAP });
    } catch (error) {
      throw new MalformedEnvelope(`the PDF's ${name} does not inflate (${(error as Error).message})`);
    }
  }
  throw new MalformedEnvelope(`the PDF's ${name} is encoded with ${filter.toString()}, which is not read`);
}

/** The Factur-X invoice, or undefined for a PDF that embeds no invoice XML (an ordinary PDF). */
export async function facturxPdf(name: string, bytes: Buffer): Promise<Envelope | undefined> {
  let document: PDFDocument;
  try {
    document = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return undefined; // not a PDF pdf-lib can read: an ordinary attachment
  }
  const invoice = [...embeddedFiles(document)].find(([embedded]) => INVOICE_NAMES.has(embedded.toLowerCase()));
  if (!invoice) return undefined;
  const [xmlName, spec] = invoice;
  const xml = fileBytes(document, spec, xmlName);
  return {
    kind: 'chorus_fact', producer: 'facturx', archive: false,
    metadata: ciiMetadata(parseXml(xml), 'Factur-X'),
    documents: [{ name, role: 'facture_pdf', bytes, isInput: true }, { name: xmlName, role: 'facture_xml', bytes: xml, extractedFrom: 'PDF /EmbeddedFiles' }],
  };
}
