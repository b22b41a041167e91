import { PGlite } from "@electric-sql/pglite";
import { openPglite } from "../../server/db/sql-driver.ts";
import { migrate } from "../../server/db/migrate.ts";
for (let i=0;i<3;i++){ let t=Date.now(); const d = await openPglite(null); const a=Date.now()-t; t=Date.now(); await migrate(d); console.log("init", a, "migrate", Date.now()-t); t=Date.now(); const c = await d.clone?.(); await d.close(); }
let t=Date.now(); const p = await PGlite.create(); console.log("create", Date.now()-t); t=Date.now(); const dump = await p.dumpDataDir("none"); console.log("dump", Date.now()-t, dump.size);
t=Date.now(); const q = await PGlite.create({ loadDataDir: dump }); console.log("load", Date.now()-t);
t=Date.now(); const r = await p.clone(); console.log("clone", Date.now()-t);
