import { MAX_PARTS, MIN_PART_SIZE, maxUploadBytes, partSizeFor } from '../../../src/transport/multipartUpload';

const MiB = 1024 * 1024;

test('parts stay at the 5 MiB minimum for the first 4,000 parts (19.5 GiB), then grow', () => {
	expect(partSizeFor(1, MIN_PART_SIZE)).toBe(5 * MiB);
	expect(partSizeFor(4_000, MIN_PART_SIZE)).toBe(5 * MiB);
	expect(partSizeFor(4_001, MIN_PART_SIZE)).toBe(25 * MiB);
	expect(partSizeFor(8_000, MIN_PART_SIZE)).toBe(25 * MiB);
	expect(partSizeFor(8_001, MIN_PART_SIZE)).toBe(125 * MiB);
	expect(partSizeFor(MAX_PARTS, MIN_PART_SIZE)).toBe(125 * MiB);
});

test("a part beyond S3's 10,000-part limit is refused, naming the limit", () => {
	expect(() => partSizeFor(MAX_PARTS + 1, MIN_PART_SIZE)).toThrow(/10000 parts/);
});

test('one upload holds 4,000 × 5 + 4,000 × 25 + 2,000 × 125 MiB (about 361 GiB)', () => {
	expect(maxUploadBytes(MIN_PART_SIZE)).toBe((4_000 * 5 + 4_000 * 25 + 2_000 * 125) * MiB);
	expect(Math.round(maxUploadBytes(MIN_PART_SIZE) / 1024 ** 3)).toBe(361);
});
