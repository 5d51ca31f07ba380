import { detectPii } from '../../src/privacy/detectors';
import { labelledCorpus, MEASURED_DETECTORS, type MeasuredDetector } from './labelledCorpus';

export interface DetectorQuality {
	detector: MeasuredDetector;
	positives: number;
	tp: number;
	fn: number;
	fp: number;
	precision: number;
	recall: number;
}

/** Runs detectPii over the labelled corpus; a false positive is the detector firing on a value not labelled with it. */
export function measureDetectors(size?: number): {
	rows: DetectorQuality[];
	corpusSize: number;
	misses: { what: 'FN' | 'FP'; detector: string; kind: string; value: string }[];
} {
	const corpus = labelledCorpus(size);
	const misses: { what: 'FN' | 'FP'; detector: string; kind: string; value: string }[] = [];
	const rows = MEASURED_DETECTORS.map((detector) => {
		let tp = 0;
		let fn = 0;
		let fp = 0;
		let positives = 0;
		for (const s of corpus) {
			const fired = detectPii(s.value, { column: s.column }).includes(detector);
			if (s.label === detector) {
				positives++;
				if (fired) tp++;
				else {
					fn++;
					misses.push({ what: 'FN', detector, kind: s.kind, value: s.value });
				}
			} else if (fired) {
				fp++;
				misses.push({ what: 'FP', detector, kind: s.kind, value: s.value });
			}
		}
		return { detector, positives, tp, fn, fp, precision: tp + fp ? tp / (tp + fp) : 1, recall: positives ? tp / positives : 1 };
	});
	return { rows, corpusSize: corpus.length, misses };
}
