import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withTransaction } from '../transport/transaction';
import { placesLoadSchema, type PlacesLoadInput } from './config.schema';
import { parseAdminLine, parsePlaceLine, type Place } from './geonamesFormat';
import { packagedLines, referenceSources } from './packagedReferenceData';
import { EnrichInputError, parseConfig } from './parseConfig';

type Lines = Iterable<string> | AsyncIterable<string>;

export interface LoadPlacesReport {
	source: string;
	places: number;
	admin1: number;
	admin2: number;
	skippedByFilter: number;
	durationMs: number;
}

/** COPY text format: backslash, tab and line breaks are the only characters that need escaping. */
const copyText = (v: string | number) => String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** Opened only when iterated: a readline interface starts reading at once and drops lines nobody listens for yet. */
async function* fileLines(file: string): AsyncGenerator<string> {
	yield* createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
}

async function* numbered(lines: Lines): AsyncGenerator<[string, number]> {
	let n = 0;
	for await (const line of lines) {
		n++;
		if (line.trim() === '' || line.startsWith('#')) continue;
		yield [line, n];
	}
}

/**
 * Load Places: GeoNames cities lines (a cities*.txt file, or the packaged data set written in the same format) go
 * through one parser into a temp table by COPY, then into marts.dim_places in one transaction. With replace, the
 * table is emptied and the GiST index rebuilt once after the insert (a bulk build is several times faster than
 * growing the index row by row); readers wait for the commit, then see the complete new set.
 */
export async function loadPlaces(pool: pg.Pool, input: PlacesLoadInput): Promise<LoadPlacesReport> {
	const cfg = parseConfig(placesLoadSchema, input, 'Load Places config');
	const started = Date.now();
	const bundled = cfg.source === 'bundled';
	const packaged = referenceSources().places;
	const placeLines: Lines = bundled ? packagedLines('places-cities1000.tsv.br') : fileLines(cfg.citiesFile!);
	const placeFile = bundled ? packaged.library : cfg.citiesFile!;
	const adminSources: Array<{ level: 1 | 2; lines: Lines; file: string }> = bundled
		? [
				{ level: 1, lines: packagedLines('admin1.tsv.br'), file: `${packaged.adminLibrary} admin1` },
				{ level: 2, lines: packagedLines('admin2.tsv.br'), file: `${packaged.adminLibrary} admin2` },
		  ]
		: [
				...(cfg.admin1File ? [{ level: 1 as const, lines: fileLines(cfg.admin1File), file: cfg.admin1File }] : []),
				...(cfg.admin2File ? [{ level: 2 as const, lines: fileLines(cfg.admin2File), file: cfg.admin2File }] : []),
		  ];
	const source = bundled ? packaged.library : `file:${cfg.citiesFile!.split('/').pop()}`;
	const report: LoadPlacesReport = { source, places: 0, admin1: 0, admin2: 0, skippedByFilter: 0, durationMs: 0 };

	await withTransaction(pool, async (tx) => {
		await tx.query(`CREATE TEMP TABLE __places_in (LIKE marts.dim_places INCLUDING DEFAULTS) ON COMMIT DROP`);
		await tx.query(`ALTER TABLE __places_in DROP COLUMN pt`);
		await tx.query(`CREATE TEMP TABLE __admin_in (code text, name text, level smallint) ON COMMIT DROP`);
		const keep = (p: Place) => (cfg.countries.length === 0 || cfg.countries.includes(p.countryCode)) && p.population >= cfg.minPopulation;
		const countries = new Set<string>();
		const placeRows = async function* () {
			for await (const [line, n] of numbered(placeLines)) {
				const p = parsePlaceLine(line, placeFile, n);
				if (!keep(p)) {
					report.skippedByFilter++;
					continue;
				}
				countries.add(p.countryCode);
				report.places++;
				yield `${[p.geonameId, p.name, p.countryCode, p.admin1Code, p.admin2Code, p.featureCode, p.population, p.timezone, p.lat, p.lng, source]
					.map(copyText)
					.join('\t')}\n`;
			}
		};
		await pipeline(
			Readable.from(placeRows()),
			tx.query(
				copyFrom(
					`COPY __places_in (geoname_id, name, country_code, admin1_code, admin2_code, feature_code, population, timezone, lat, lng, source) FROM STDIN`,
				),
			),
		);
		for (const a of adminSources) {
			const adminRows = async function* () {
				for await (const [line, n] of numbered(a.lines)) {
					const d = parseAdminLine(line, a.file, n);
					if (cfg.countries.length > 0 && !cfg.countries.includes(d.code.slice(0, 2))) continue;
					if (a.level === 1) report.admin1++;
					else report.admin2++;
					yield `${[d.code, d.name, a.level].map(copyText).join('\t')}\n`;
				}
			};
			await pipeline(Readable.from(adminRows()), tx.query(copyFrom(`COPY __admin_in (code, name, level) FROM STDIN`)));
		}
		if (report.places === 0)
			throw new EnrichInputError(
				`${placeFile} has no places${cfg.countries.length || cfg.minPopulation ? ' that pass the countries / minPopulation filter' : ''} — nothing was changed`,
			);

		const columns = 'geoname_id, name, country_code, admin1_code, admin2_code, feature_code, population, timezone, lat, lng, pt, source';
		const select = `SELECT DISTINCT ON (geoname_id) geoname_id, name, country_code, admin1_code, admin2_code, feature_code, population, timezone, lat, lng, ll_to_earth(lat, lng), source FROM __places_in ORDER BY geoname_id`;
		if (cfg.replace) {
			// The Enrich login owns dim_places but may not create objects in marts (that would let it plant a relation
			// Push Back reads), so the index is kept and rebuilt in place rather than dropped and created.
			await tx.query(`TRUNCATE marts.dim_places`);
			await tx.query(`INSERT INTO marts.dim_places (${columns}) ${select}`);
			await tx.query(`REINDEX INDEX marts.dim_places_pt_gist`);
		} else {
			await tx.query(
				`INSERT INTO marts.dim_places (${columns}) ${select}
				 ON CONFLICT (geoname_id) DO UPDATE SET name = EXCLUDED.name, country_code = EXCLUDED.country_code,
				   admin1_code = EXCLUDED.admin1_code, admin2_code = EXCLUDED.admin2_code, feature_code = EXCLUDED.feature_code,
				   population = EXCLUDED.population, timezone = EXCLUDED.timezone, lat = EXCLUDED.lat, lng = EXCLUDED.lng,
				   pt = EXCLUDED.pt, source = EXCLUDED.source`,
			);
		}
		if (adminSources.length > 0) {
			if (cfg.replace) await tx.query(`DELETE FROM marts.dim_admin_divisions WHERE level IN (SELECT DISTINCT level FROM __admin_in)`);
			await tx.query(
				`INSERT INTO marts.dim_admin_divisions (code, name, level, source)
				 SELECT DISTINCT ON (code) code, name, level, $1 FROM __admin_in ORDER BY code
				 ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, source = EXCLUDED.source`,
				[bundled ? packaged.adminLibrary : 'file'],
			);
		}
		await tx.query(`ANALYZE marts.dim_places`);
	});
	report.durationMs = Date.now() - started;
	return report;
}
