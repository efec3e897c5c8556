// Preloaded into a child process (`node --require` through NODE_OPTIONS): when the process exits,
// writes the npm packages whose CommonJS files it loaded (Node's require cache, which also holds
// the CommonJS packages that ES modules imported) to the file LOADED_PACKAGES_FILE names, one per
// line. The footprint tests read it to check which parts a config left unloaded (issue 18).
const { writeFileSync } = require('node:fs');

const file = process.env.LOADED_PACKAGES_FILE;
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    const names = new Set();
    for (const key of Object.keys(require.cache)) {
      const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(key.slice(key.lastIndexOf('node_modules') - 1));
      if (m !== null) names.add(m[1].replace('\\', '/'));
    }
    writeFileSync(file, [...names].sort().join('\n'));
  });
}
