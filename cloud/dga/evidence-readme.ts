/** README.txt of an evidence pack (evidence.ts): what is inside and how to check it, in Spanish and English. */
import type { EvidenceManifest } from '../../protocols/dga/index.ts';

export function evidenceReadme(m: EvidenceManifest): string {
  const anchored = m.readings.filter((r) => r.status === 'anchored').length;
  const pending = m.readings.length - anchored;
  const contract = m.anchoring === null ? '<dirección del contrato / contract address>' : m.anchoring.contract;
  const chain = m.anchoring === null ? '' : ` (chain id ${m.anchoring.chainId})`;
  return `PAQUETE DE EVIDENCIA DGA / DGA EVIDENCE PACK
Obra ${m.obra.code} (${m.obra.kind}, estándar ${m.obra.standard})
Periodo / period: ${m.period.from} – ${m.period.to} (UTC; la DGA usa UTC-4 fijo / DGA uses fixed UTC-4)
Generado / generated: ${m.generatedAt} por / by atalaya relay ${m.relayVersion}
Slots: ${m.slots.length}; lecturas / readings: ${m.readings.length} (${anchored} ancladas / anchored, ${pending} aún sin anclar / not anchored yet)

ESPAÑOL
Este archivo reúne, para cada hora (slot) reportada a la DGA: lo que se envió (sent.json), la
respuesta y el comprobante de la DGA (answer.json), la bitácora de auditoría (audit.json), las
lecturas del medidor que respaldan el valor (readings.json y readings.csv) y, por cada lectura,
su prueba de anclaje en Ethereum (proofs/<gateway>-<seq>.json). manifest.json lista cada archivo
con su huella SHA-256.

Para verificarlo sin confiar en nosotros ni en nuestra base de datos, con cualquier nodo Ethereum:

  atalaya verify ${m.obra.code}-evidence.zip --rpc <URL de un nodo> --contract ${contract}

La verificación comprueba cada huella del manifiesto, que cada lectura produce la hoja de su
prueba, que cada ruta de Merkle llega a la raíz del lote, y que esa raíz fue publicada por el
contrato${chain}. Nombra cada archivo o lectura que falle. Las lecturas aún no ancladas se
informan como not_anchored, sin invalidar el resto. Las carpetas slots/ se nombran por la hora
del slot en UTC-4: AAAA-MM-DDTHHMM.

ENGLISH
For each hourly slot reported to DGA this file holds: what was sent (sent.json), DGA's answer and
receipt (answer.json), the audit trail (audit.json), the meter readings behind the value
(readings.json and readings.csv) and, for each reading, its Ethereum anchoring proof
(proofs/<gateway>-<seq>.json). manifest.json lists every file with its SHA-256.

To check it without trusting us or our database, against any Ethereum node:

  atalaya verify ${m.obra.code}-evidence.zip --rpc <node URL> --contract ${contract}

It checks every hash in the manifest, that each reading hashes to its proof's leaf, that each
Merkle path leads to its batch root, and that the contract${chain} published that root. It names
every file or reading that fails. Readings not anchored yet are reported as not_anchored and do
not fail the rest. Folders under slots/ are named by the slot's UTC-4 time: YYYY-MM-DDTHHMM.
`;
}
