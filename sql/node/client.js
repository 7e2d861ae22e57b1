// Runs a fixed session against AutoNews with the mysql2 driver and prints what it saw as
// JSON: a text-protocol query, a prepared statement over the binary protocol, a write and
// its read-back. Connection settings come from the environment.
'use strict';
const mysql = require('mysql2/promise');

async function main() {
  const conn = await mysql.createConnection({
    host: process.env.AUTONEWS_HOST,
    port: Number(process.env.AUTONEWS_PORT),
    user: process.env.AUTONEWS_USER,
    password: process.env.AUTONEWS_PASSWORD || '',
    database: 'autonews',
  });
  const out = {};
  const [version] = await conn.query('SELECT @@version_comment AS comment');
  out.comment = version[0].comment;
  await conn.query(
    "INSERT INTO trades (trade_id, user_id, symbol, side, quantity, price) VALUES ('node-1', 77, 'MMM', 'BUY', 12, 100.5)");
  const [text] = await conn.query('SELECT user_id, symbol, shares, last_price FROM holdings WHERE user_id = 77');
  out.text = text;
  const [prepared] = await conn.execute('SELECT symbol, shares FROM holdings WHERE user_id = ? AND symbol = ?', [77, 'MMM']);
  out.prepared = prepared;
  try {
    await conn.query('SELECT * FROM nope');
  } catch (e) {
    out.error = e.errno;
  }
  await conn.end();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
