/**
 * npm run detector-quality [-- --misses]
 *
 * Precision and recall of the person_name, street_address and bank_account detectors on the labelled corpus
 * (labelledCorpus.ts). Prints one row per detector; --misses also lists every miss and false positive by kind.
 */
import { parseArgs } from 'node:util';
import { measureDetectors } from './measure';

const { values } = parseArgs({ options: { misses: { type: 'boolean', default: false } } });
const { rows, corpusSize, misses } = measureDetectors();
console.log(`labelled corpus: ${corpusSize} values`);
console.log('detector        | positives | TP  | FN  | FP  | precision | recall');
for (const r of rows) {
	console.log(
		`${r.detector.padEnd(15)} | ${String(r.positives).padStart(9)} | ${String(r.tp).padStart(3)} | ${String(r.fn).padStart(3)} | ${String(r.fp).padStart(
			3,
		)} | ${r.precision.toFixed(3).padStart(9)} | ${r.recall.toFixed(3)}`,
	);
}
if (values.misses) for (const m of misses) console.log(`${m.what} ${m.detector} [${m.kind}]: ${JSON.stringify(m.value)}`);
