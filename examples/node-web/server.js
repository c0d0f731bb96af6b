const http = require('node:http');
const { readFileSync } = require('node:fs');
const escapeHtml = require('escape-html');

const greeting = readFileSync(`${__dirname}/greeting.txt`, 'utf8');
const port = Number(process.env.PORT || 5000);

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<p>${escapeHtml(greeting)}! (dyno ${escapeHtml(process.env.DYNO || '?')}, node ${process.version})</p>\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
