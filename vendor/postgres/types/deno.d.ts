// Added for Deno (vendor/postgres/PATCHES.md, T1): index.d.ts uses `export =`, which a local
// (non-npm) module can only import through this default-export re-declaration.
import postgres = require("./index.d.ts");
export default postgres;
