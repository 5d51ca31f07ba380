import type { DbtCommandInput } from '../dbt/command.schema';
import { dbtCommandSchema } from '../dbt/command.schema';
import type { WolverineIncident } from './incident.schema';

/** `ledger_db.transactions`, `ledger_db__transactions`, `raw.ledger_db__transactions` → ['ledger_db', 'transactions']. */
export function bronzeRef(ref: string): [string, string] {
	const bare = ref.replace(/^raw\./, '');
	const i = bare.includes('__') ? bare.indexOf('__') : bare.indexOf('.');
	const sep = bare.includes('__') ? 2 : 1;
	return [bare.slice(0, i), bare.slice(i + sep)];
}

/**
 * What to rerun for an incident. An impacted source table means every model built from it (`source:db.table+`);
 * an impacted model means exactly that model, plus its dependants only when the incident asks for them. The
 * command is `build`, so the rerun models are tested in the same invocation.
 */
export function incidentToDbtCommand(incident: WolverineIncident): DbtCommandInput {
	const select = new Set<string>();
	for (const ref of [...incident.impacted.sources, ...incident.impacted.tables]) {
		const [db, table] = bronzeRef(ref);
		select.add(`source:${db}.${table}+`);
	}
	for (const model of incident.impacted.models) select.add(incident.impacted.include_downstream ? `${model}+` : model);
	const command: DbtCommandInput = {
		command: 'build',
		select: [...select].sort(),
		vars: { wolverine_incident_id: incident.incident_id, wolverine_severity: incident.severity },
	};
	// The schema check again: the mapping must never produce something the CLI validator would refuse.
	dbtCommandSchema.parse(command);
	return command;
}
