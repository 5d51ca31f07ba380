#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCadence, withCadence, type ScheduleWorkflow } from '../workflows/cadence';
import { VALUE, parseCommandLine, runCli } from './runCli';
import { UsageError } from './warehouseUrl';

const USAGE = `Usage: npm run dwh:workflow-cadence -- --every <30s|2m|5m> <workflow.json>
Prints the workflow with every Schedule Trigger that repeats by minutes or seconds set to the new cadence (the
clock-time triggers stay); import the output with n8n import:workflow. Example:
  npm run -s dwh:workflow-cadence -- --every 2m workflows/dwh-load-transform-push.json > /tmp/chain.json`;

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { every: VALUE }, USAGE, true);
	if (!parsed) return 0;
	const { values, positionals } = parsed;
	if (!values.every || positionals.length !== 1) throw new UsageError('give --every <cadence> and exactly one workflow file');
	const file = positionals[0];
	const workflow = JSON.parse(readFileSync(file, 'utf8')) as ScheduleWorkflow;
	process.stdout.write(`${JSON.stringify(withCadence(workflow, parseCadence(values.every), path.basename(file)), null, 2)}\n`);
	return 0;
}

if (require.main === module) runCli(main, USAGE);
