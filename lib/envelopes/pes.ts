// Helios PES V2 (`helios`, ../shared/fixtures/adullact/README.md 3): one XML file, its
// embedded supporting documents (PES_PJ/PJ: base64, then gzip) taken out; metadata after
// Pastell's PESAllerFile, lists holding distinct values in document order.
import { gunzipCapped } from './archives.js';
import { DOCUMENT_CAP, type Envelope, type EnvelopeDocument, type MetadataValue } from './types.js';
import { base64Content, child, children, descendants, distinct, parseXml, valueAt, type XmlElement } from './xml.js';

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

/** One embedded document: strict base64, then gunzip under the cap. */
function embedded(pj: XmlElement, index: number): EnvelopeDocument {
  const name = valueAt(pj, 'NomPJ') ?? `${valueAt(pj, 'IdUnique') ?? `pj-${index + 1}`}.bin`;
  const compressed = base64Content(child(pj, 'Contenu/Fichier'), `the PJ ${name}`);
  return { name, role: 'pj', bytes: gunzipCapped(compressed, DOCUMENT_CAP, `the PJ ${name}`), extractedFrom: 'PES_PJ/PJ/Contenu/Fichier' };
}

export function pesFile(name: string, bytes: Buffer): Envelope {
  const root = parseXml(bytes);
  const known = ROOTS[root.name.toLowerCase()]!;
  const pjs = known.root === 'PES_Aller' ? children(root, 'PES_PJ/PJ') : [];
  return {
    kind: 'helios', producer: 'pes-xml', archive: false,
    metadata: pesMetadata(root, known.root),
    documents: [{ name, role: known.role, bytes, isInput: true }, ...pjs.map(embedded)],
  };
}
