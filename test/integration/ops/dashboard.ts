import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { OPS_DIR } from './monitoringStack';

/**
 * The "BI Pipeline Health" dashboard (ops/grafana) as Grafana's dashboard JSON model describes it (schemaVersion 39):
 * the parts Grafana needs to load and draw it. Grafana itself is not run here (docs/operations.md), so this shape plus
 * running every panel's query against the real servers is what proves the file.
 */
const datasourceRef = z.object({ type: z.string(), uid: z.string() }).strict();
const gridPos = z
	.object({ h: z.number().int().min(1), w: z.number().int().min(1).max(24), x: z.number().int().min(0).max(23), y: z.number().int().min(0) })
	.strict();
const promTarget = z
	.object({ refId: z.string(), datasource: datasourceRef, expr: z.string().min(1), legendFormat: z.string(), range: z.boolean(), instant: z.boolean() })
	.strict();
const sqlTarget = z
	.object({
		refId: z.string(),
		datasource: datasourceRef,
		editorMode: z.literal('code'),
		format: z.enum(['table', 'time_series']),
		rawQuery: z.literal(true),
		rawSql: z.string().min(1),
	})
	.strict();
const override = z.object({
	matcher: z.object({ id: z.literal('byName'), options: z.string() }),
	properties: z.array(z.object({ id: z.string(), value: z.unknown() })),
});
const rowPanel = z
	.object({ id: z.number().int(), type: z.literal('row'), title: z.string(), collapsed: z.boolean(), gridPos, panels: z.array(z.unknown()) })
	.strict();
const dataPanel = z
	.object({
		id: z.number().int(),
		type: z.enum(['stat', 'timeseries', 'table', 'barchart']),
		title: z.string().min(1),
		description: z.string().min(1),
		datasource: datasourceRef,
		gridPos,
		targets: z.array(z.union([promTarget, sqlTarget])).min(1),
		fieldConfig: z.object({ defaults: z.record(z.unknown()), overrides: z.array(override) }).strict(),
		options: z.record(z.unknown()),
	})
	.strict();
const panel = z.union([rowPanel, dataPanel]);
export const dashboardSchema = z
	.object({
		uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
		title: z.string().min(1),
		description: z.string(),
		tags: z.array(z.string()),
		timezone: z.string(),
		editable: z.boolean(),
		graphTooltip: z.number().int().min(0).max(2),
		schemaVersion: z.number().int().min(36),
		version: z.number().int(),
		refresh: z.string(),
		time: z.object({ from: z.string(), to: z.string() }),
		timepicker: z.record(z.unknown()),
		fiscalYearStartMonth: z.number().int(),
		liveNow: z.boolean(),
		weekStart: z.string(),
		links: z.array(z.unknown()),
		annotations: z.object({ list: z.array(z.unknown()) }),
		templating: z.object({ list: z.array(z.unknown()) }),
		panels: z.array(panel),
	})
	.strict();

export interface DashPanel {
	id: number;
	type: string;
	title: string;
	datasource?: { type: string; uid: string };
	gridPos: { h: number; w: number; x: number; y: number };
	targets?: ({ refId: string; datasource: { type: string; uid: string } } & ({ expr: string } | { rawSql: string }))[];
	fieldConfig?: { overrides: { matcher: { options: string } }[] };
	options?: { xField?: string };
}

export function loadDashboard(): { raw: unknown; panels: DashPanel[] } {
	const raw = JSON.parse(readFileSync(path.join(OPS_DIR, 'grafana/dashboards/bi-pipeline-health.json'), 'utf8')) as { panels: DashPanel[] };
	return { raw, panels: raw.panels };
}

/** uid → type of the provisioned data sources (ops/grafana/provisioning/datasources). */
export function provisionedDatasources(): Map<string, string> {
	const text = readFileSync(path.join(OPS_DIR, 'grafana/provisioning/datasources/dataacuity.yml'), 'utf8');
	const out = new Map<string, string>();
	for (const block of text.split(/\n {2}- name: /).slice(1)) {
		const uid = /\n\s+uid: (\S+)/.exec(block)?.[1];
		const type = /\n\s+type: (\S+)/.exec(block)?.[1];
		if (uid && type) out.set(uid, type);
	}
	return out;
}

/** Grafana's SQL macros as the Postgres data source expands them, for a fixed 7-day range. */
export function expandSqlMacros(sql: string): string {
	return sql.replace(/\$__timeFilter\(([^)]+)\)/g, "$1 BETWEEN now() - interval '7 days' AND now()");
}

/** Columns a panel relies on: names its overrides style, and the x field of a bar chart. */
export function fieldsUsed(p: DashPanel): string[] {
	const names = (p.fieldConfig?.overrides ?? []).map((o) => o.matcher.options);
	if (p.options?.xField) names.push(p.options.xField);
	return [...new Set(names)];
}
