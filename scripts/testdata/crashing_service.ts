/** A stand-in service that fails at start-up, for fleet_test.ts. */
console.error("stand-in: cannot start (on purpose)");
throw new Error("deliberate start-up failure");
