/**
 * tsc only emits JavaScript; n8n also needs each node's and credential's icon and each node's codex file
 * (<Node>.node.json) next to the built .js, at the same relative path.
 */
const { src, dest, parallel } = require('gulp');

// gulp 5 reads files as UTF-8 by default, which would corrupt PNG icons.
const copy = (globs) => () => src(globs, { base: '.', encoding: false }).pipe(dest('dist'));

const icons = copy(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}']);
const codex = copy(['nodes/**/*.node.json']);

exports['build:icons'] = icons;
exports['build:codex'] = codex;
exports['build:assets'] = parallel(icons, codex);
exports.default = exports['build:assets'];
