// Chorus Pro invoices (`chorus_fact`, ../shared/fixtures/adullact/README.md 4): the pivot
// with its embedded documents (PJ/Contenu: base64 of a zip), UBL and CII. Amounts and
// identifiers stay strings exactly as written.
import { isZip, zipMembers } from './archives.js';
import { type Envelope, type EnvelopeDocument, MalformedEnvelope, type MetadataValue } from './types.js';
import { base64Content, child, children, descendants, parseXml, textAt, type XmlElement } from './xml.js';

export const UBL_INVOICE = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
export const UBL_CREDIT_NOTE = 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2';
export const CII = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100';

/** The first element along a path of local names, each found at any depth below the previous. */
function find(root: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = root;
  for (const name of names) current = current ? (current.children.find((element) => element.name === name) ?? descendants(current, name)[0]) : undefined;
  return current;
}

function put(metadata: Record<string, MetadataValue>, key: string, element: XmlElement | undefined): void {
  const value = element?.text.trim();
  if (value !== undefined && value !== '') metadata[key] = value;
}

export function pivotMetadata(root: XmlElement): Record<string, MetadataValue> {
  const metadata: Record<string, MetadataValue> = { syntax: 'CPPFacturePivot' };
  const invoice = child(root, 'CPPFactures/CPPFacturePivotUnitaire');
  const data = child(invoice, 'DonneesFacture');
  for (const parameter of children(root, 'Enveloppe/EnveloppeUnitaire/Parametres/ParametreIndiv')) {
    if (textAt(parameter, 'Code') === 'IdFlx') put(metadata, 'id_flux', child(parameter, 'Valeurparametre'));
  }
  put(metadata, 'invoice_number', child(data, 'Id'));
  put(metadata, 'invoice_type', child(data, 'Type'));
  put(metadata, 'cadre', child(data, 'Cadre'));
  put(metadata, 'issue_date', child(data, 'DateEmissionFacture'));
  put(metadata, 'currency', child(data, 'Devise'));
  put(metadata, 'supplier_id', child(invoice, 'Fournisseur/Identifiant'));
  put(metadata, 'supplier_id_type', child(invoice, 'Fournisseur/TypeIdentifiant'));
  put(metadata, 'supplier_name', child(invoice, 'Fournisseur/RaisonSociale'));
  put(metadata, 'buyer_id', child(invoice, 'Debiteur/Identifiant'));
  put(metadata, 'buyer_service_code', child(invoice, 'Debiteur/CodeService'));
  put(metadata, 'engagement', child(data, 'Engagement/NumeroEngagement'));
  put(metadata, 'marche', child(data, 'Engagement/NumeroMarche'));
  put(metadata, 'total_ht', child(data, 'Montants/MontantHT'));
  put(metadata, 'total_ttc', child(data, 'Montants/MontantTTC'));
  put(metadata, 'net_a_payer', child(data, 'Montants/MontantNetAPayer'));
  return metadata;
}

export function ublMetadata(root: XmlElement): Record<string, MetadataValue> {
  const metadata: Record<string, MetadataValue> = { syntax: 'UBL' };
  const supplier = find(root, 'AccountingSupplierParty', 'Party');
  const customer = find(root, 'AccountingCustomerParty', 'Party');
  const totals = child(root, 'LegalMonetaryTotal');
  put(metadata, 'invoice_number', child(root, 'ID'));
  put(metadata, 'invoice_type', child(root, 'InvoiceTypeCode') ?? child(root, 'CreditNoteTypeCode'));
  put(metadata, 'issue_date', child(root, 'IssueDate'));
  put(metadata, 'currency', child(root, 'DocumentCurrencyCode'));
  put(metadata, 'supplier_id', find(supplier, 'PartyLegalEntity', 'CompanyID'));
  put(metadata, 'supplier_name', find(supplier, 'PartyLegalEntity', 'RegistrationName'));
  put(metadata, 'buyer_id', find(customer, 'PartyLegalEntity', 'CompanyID'));
  put(metadata, 'buyer_service_code', child(root, 'BuyerReference'));
  put(metadata, 'engagement', child(root, 'OrderReference/ID'));
  put(metadata, 'total_ht', child(totals, 'TaxExclusiveAmount'));
  put(metadata, 'total_ttc', child(totals, 'TaxInclusiveAmount'));
  put(metadata, 'net_a_payer', child(totals, 'PayableAmount'));
  return metadata;
}

export function ciiMetadata(root: XmlElement, syntax = 'CII'): Record<string, MetadataValue> {
  const metadata: Record<string, MetadataValue> = { syntax };
  const document = child(root, 'ExchangedDocument');
  const agreement = find(root, 'SupplyChainTradeTransaction', 'ApplicableHeaderTradeAgreement');
  const settlement = find(root, 'SupplyChainTradeTransaction', 'ApplicableHeaderTradeSettlement');
  const summation = find(settlement, 'SpecifiedTradeSettlementHeaderMonetarySummation');
  put(metadata, 'invoice_number', child(document, 'ID'));
  put(metadata, 'invoice_type', child(document, 'TypeCode'));
  const issued = find(document, 'IssueDateTime', 'DateTimeString');
  const date = issued?.text.trim();
  // Format 102 is YYYYMMDD.
  if (date) metadata.issue_date = /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}` : date;
  put(metadata, 'currency', child(settlement, 'InvoiceCurrencyCode'));
  put(metadata, 'supplier_id', find(agreement, 'SellerTradeParty', 'SpecifiedLegalOrganization', 'ID'));
  put(metadata, 'supplier_name', find(agreement, 'SellerTradeParty', 'Name'));
  put(metadata, 'buyer_id', find(agreement, 'BuyerTradeParty', 'SpecifiedLegalOrganization', 'ID'));
  put(metadata, 'buyer_service_code', child(agreement, 'BuyerReference'));
  put(metadata, 'engagement', find(agreement, 'BuyerOrderReferencedDocument', 'IssuerAssignedID'));
  put(metadata, 'total_ht', child(summation, 'TaxBasisTotalAmount'));
  put(metadata, 'total_ttc', child(summation, 'GrandTotalAmount'));
  put(metadata, 'net_a_payer', child(summation, 'DuePayableAmount'));
  return metadata;
}

/** The pivot: the XML, and every file of each PJ's zip. */
export async function pivotFile(name: string, bytes: Buffer): Promise<Envelope> {
  const root = parseXml(bytes);
  const documents: EnvelopeDocument[] = [{ name, role: 'facture_xml', bytes, isInput: true }];
  for (const pj of children(root, 'CPPFactures/CPPFacturePivotUnitaire/PJ')) {
    const label = textAt(pj, 'NomPJ') ?? textAt(pj, 'IdOriginal') ?? 'PJ';
    const zip = base64Content(child(pj, 'Contenu'), `the PJ ${label}`);
    if (!isZip(zip)) throw new MalformedEnvelope(`the PJ ${label} is not the base64 of a zip`);
    const role = textAt(pj, 'TypePJ') === '01' ? 'facture_pdf' : 'pj';
    for (const member of await zipMembers(zip)) {
      documents.push({ name: member.name.slice(member.name.lastIndexOf('/') + 1), role, bytes: member.bytes, extractedFrom: 'PJ/Contenu' });
    }
  }
  return { kind: 'chorus_fact', producer: 'cpp-pivot', archive: false, metadata: pivotMetadata(root), documents };
}

export function ublFile(name: string, bytes: Buffer): Envelope {
  return { kind: 'chorus_fact', producer: 'ubl', archive: false, metadata: ublMetadata(parseXml(bytes)), documents: [{ name, role: 'facture_xml', bytes, isInput: true }] };
}

export function ciiFile(name: string, bytes: Buffer): Envelope {
  return { kind: 'chorus_fact', producer: 'cii', archive: false, metadata: ciiMetadata(parseXml(bytes)), documents: [{ name, role: 'facture_xml', bytes, isInput: true }] };
}
