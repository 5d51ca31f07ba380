/**
 * n8n offers a community node to AI agents when its description's `usableAsTool` is truthy, and its type can only
 * spell `true`. Nodes of this pack write to the warehouse, the apps' database or the token vault under locks and
 * run logs that assume a scheduled, reviewed workflow; none should run with parameters an agent made up. Each node
 * sets `usableAsTool: NOT_AN_AGENT_TOOL` so that the choice is visible where the description is read.
 */
export const NOT_AN_AGENT_TOOL = undefined;
