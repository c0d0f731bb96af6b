// `npm run build` runs during the build: it writes the page the server sends.
const { writeFileSync } = require('node:fs');
writeFileSync('greeting.txt', 'Hello from Node.js on Plat');
