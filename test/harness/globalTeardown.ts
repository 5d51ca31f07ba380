export default async function globalTeardown(): Promise<void> {
	await globalThis.__DWH_STACK__?.stop();
}
