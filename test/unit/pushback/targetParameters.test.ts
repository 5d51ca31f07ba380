import { targetFromParameters } from '../../../nodes/PushBack/targetParameters';
import { readyTarget } from '../../../src/pushback/readyTargets';

test('a ready-made target is the registry config, with the app role overridden when given', () => {
	expect(targetFromParameters({ targetSource: 'ready', readyTarget: 'sdpkt.user_summary' })).toEqual(readyTarget('sdpkt.user_summary').config);
	expect(targetFromParameters({ targetSource: 'ready', readyTarget: 'sdpkt.user_summary', appRoleOverride: ' sdpkt_api ' }).appRole).toBe('sdpkt_api');
	expect(() => targetFromParameters({ targetSource: 'ready', readyTarget: '' })).toThrow('Ready-Made Target is empty');
	expect(targetFromParameters({ targetSource: 'ready', readyTarget: 'sdpkt.user_summary', allowEmptySource: true }).allowEmptySource).toBe(true);
});

test('custom parameters: comma lists are split and trimmed, an empty group-size column means no k gate', () => {
	expect(
		targetFromParameters({
			targetSource: 'custom',
			sourceKind: 'relation',
			sourceSchema: 'marts',
			sourceTable: ' agg_x ',
			targetSchema: 'tagme',
			targetTable: 'x',
			key: 'day, city ,',
			mode: 'upsert',
			appRole: 'tagme_app',
			groupSizeColumn: 'users',
			k: '7',
			piiAllowColumns: 'rate, ',
			targetName: '',
		}),
	).toEqual({
		name: undefined,
		source: { kind: 'relation', schema: 'marts', table: 'agg_x' },
		target: { schema: 'tagme', table: 'x' },
		key: ['day', 'city'],
		mode: 'upsert',
		appRole: 'tagme_app',
		kAnonymity: { groupSizeColumn: 'users', k: 7 },
		piiAllowColumns: ['rate'],
		allowEmptySource: false,
	});
	const q = targetFromParameters({
		targetSource: 'custom',
		sourceKind: 'query',
		sourceQuery: 'SELECT 1',
		targetSchema: 's',
		targetTable: 't',
		key: 'a',
		appRole: 'r',
		groupSizeColumn: ' ',
	});
	expect(q.source).toEqual({ kind: 'query', sql: 'SELECT 1' });
	expect(q.kAnonymity).toBeNull();
	expect(q.mode).toBe('mirror');
});
