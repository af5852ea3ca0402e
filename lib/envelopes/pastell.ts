// Pastell deposits (producer `pastell-depot`, ../shared/fixtures/adullact/README.md 5): a
// dossier as a zip or a directory, its fields in metadata.xml (`<flux>`), metadata.json or
// metadata.txt (YAML, read by the yaml package);
// each file a file field lists is a document, its role the field's id (a few renamed).
import { parse as parseYaml } from 'yaml';
import { type Envelope, type EnvelopeKind, MalformedEnvelope, type MetadataValue } from './types.js';
import { children, parseXml } from './xml.js';
import { NATURE_LETTERS } from './actes.js';

const ROLE_NAMES: Readonly<Record<string, string>> = {
  arrete: 'acte', autre_document_attache: 'annexe', annexes_tamponnees: 'annexe_tamponnee', fichier_pes: 'pes',
  fichier_reponse: 'pes_acquit', fichier_facture: 'facture_xml', fichier_facture_pdf: 'facture_pdf', facture_pj_02: 'pj',
};

/** Metadata keys by kind: ours, from Pastell's field ids. */
const KEYS: Readonly<Record<EnvelopeKind, ReadonlyArray<readonly [string, string]>>> = {
  acte_nature: [['numero_interne', 'numero_de_lacte'], ['date_acte', 'date_de_lacte'], ['objet', 'objet'], ['classification', 'classification'], ['id_acte', 'acte_unique_id'], ['date_ar', 'date_ar']],
  helios: ['objet', 'id_coll', 'dte_str', 'cod_bud', 'exercice', 'id_bordereau', 'id_pj', 'id_pce', 'id_nature', 'id_fonction', 'etat_ack'].map((key) => [key, key] as const),
  chorus_fact: [['invoice_number', 'no_facture'], ['invoice_type', 'type_facture'], ['issue_date', 'date_facture'], ['supplier_id', 'fournisseur'],
    ['supplier_id_type', 'type_identifiant'], ['supplier_name', 'fournisseur_raison_sociale'], ['buyer_id', 'siret'], ['buyer_service_code', 'service_destinataire_code'],
    ['total_ttc', 'montant_ttc'], ['cadre', 'facture_cadre'], ['engagement', 'facture_numero_engagement'], ['marche', 'facture_numero_marche'],
    ['cpp_invoice_id', 'id_facture_cpp'], ['statut_cpp', 'statut_cpp'], ['date_depot', 'date_depot']],
};

export const METADATA_FILES = ['metadata.xml', 'metadata.json', 'metadata.txt'];

interface Fields {
  readonly values: Map<string, string>;
  readonly files: Map<string, string[]>;
}

function fieldsOf(name: string, bytes: Buffer): Fields {
  const values = new Map<string, string>();
  const files = new Map<string, string[]>();
  if (name === 'metadata.xml') {
    const flux = parseXml(bytes);
    for (const data of children(flux, 'data')) values.set(data.attributes.get('name') ?? '', data.attributes.get('value') ?? '');
    for (const field of children(flux, 'files')) files.set(field.attributes.get('name') ?? '', children(field, 'file').map((file) => file.attributes.get('content') ?? ''));
  } else {
    let parsed: unknown;
    try {
      // YAML with the failsafe schema: every value a string or a list, as Pastell writes them; no aliases (no alias bombs).
      parsed = name === 'metadata.json' ? JSON.parse(bytes.toString('utf8')) : parseYaml(bytes.toString('utf8'), { schema: 'failsafe', maxAliasCount: 0 });
    } catch (error) {
      throw new MalformedEnvelope(`${name} cannot be read (${(error as Error).message.split('\n')[0]})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedEnvelope(`${name} is not a map of fields`);
    for (const [key, value] of Object.entries(parsed)) {
      if (Array.isArray(value)) files.set(key, value.map(String));
      else values.set(key, String(value));
    }
  }
  return { values, files };
}

function kindOf(fields: Fields): EnvelopeKind | undefined {
  const has = (key: string) => fields.values.has(key) || fields.files.has(key);
  if (has('acte_nature')) return 'acte_nature';
  if (has('fichier_pes')) return 'helios';
  if (has('id_facture_cpp') || has('fichier_facture') || has('no_facture')) return 'chorus_fact';
  return undefined;
}


/** The deposit, from its root's files by name; undefined when it is no Pastell deposit. */
export function pastellDeposit(files: ReadonlyMap<string, Buffer>, archive: boolean): Envelope | undefined {
  const metadataName = METADATA_FILES.find((name) => files.has(name));
  if (!metadataName) return undefined;
  let fields: Fields;
  try {
    fields = fieldsOf(metadataName, files.get(metadataName)!);
  } catch {
    return undefined;
  }
  const kind = kindOf(fields);
  if (!kind) return undefined;
  const metadata: Record<string, MetadataValue> = {};
  for (const [key, field] of KEYS[kind]) {
    const value = fields.values.get(field);
    if (value !== undefined && value !== '') metadata[key] = value;
  }
  if (kind === 'acte_nature') {
    const code = fields.values.get('acte_nature');
    if (code !== undefined && /^\d+$/.test(code)) {
      metadata.code_nature_acte = Number(code);
      if (NATURE_LETTERS[Number(code)]) metadata.nature_code = NATURE_LETTERS[Number(code)]!;
    }
  }
  const documents = [...fields.files].flatMap(([field, names]) => names.map((name) => {
    const bytes = files.get(name);
    if (!bytes) throw new MalformedEnvelope(`the deposit's ${field} names ${name}, which it lacks`);
    return { name, role: ROLE_NAMES[field] ?? field, bytes };
  }));
  return { kind, producer: 'pastell-depot', archive, metadata, documents };
}
