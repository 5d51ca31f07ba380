/**
 * tsc only emits JavaScript; n8n also needs each node's and credential's icon and each node's codex file
 * (<Node>.node.json) next to the built .js, at the same relative path. build:s3 then replaces tsc's output for
 * src/transport/awsS3.ts, a re-export of the S3 commands the core uses, with a bundle of them: the AWS SDK is a
 * devDependency, and the installed package carries ~0.6 MB of it instead of its 11 MB of packages.
 */
const { src, dest, parallel } = require('gulp');
const esbuild = require('esbuild');

// gulp 5 reads files as UTF-8 by default, which would corrupt PNG icons.
const copy = (globs) => () => src(globs, { base: '.', encoding: false }).pipe(dest('dist'));

const icons = copy(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}']);
const codex = copy(['nodes/**/*.node.json']);

const s3 = () =>
	esbuild.build({
		entryPoints: ['src/transport/awsS3.ts'],
		outfile: 'dist/src/transport/awsS3.js',
		allowOverwrite: true,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		minify: true,
		// The SDK's error classes are told apart by name (NoSuchKey, NotFound, ...): keep the names minifying would drop.
		keepNames: true,
		// The SDK warns on every Node 20 process that its releases after January 2027 need Node 22. The bundle is the SDK
		// version package-lock.json pins, built here and never updated by the user's npm, so that notice is ours to act on
		// (when the pack drops Node 20), not n8n's log's: it is compiled out of the bundle only.
		define: { 'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"' },
		banner: { js: '/*! @aws-sdk/client-s3 with its @smithy and @aws-crypto dependencies, bundled; Apache-2.0, https://github.com/aws/aws-sdk-js-v3 */' },
		logLevel: 'warning',
	});

exports['build:icons'] = icons;
exports['build:s3'] = s3;
exports['build:codex'] = codex;
exports['build:assets'] = parallel(icons, codex, s3);
exports.default = exports['build:assets'];
