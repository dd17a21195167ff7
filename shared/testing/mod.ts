/**
 * Test helpers. They create real resources (a fresh PostgreSQL database, a
 * unique RabbitMQ exchange, a real SMTP server, real keys); nothing here mocks
 * the project's code or those servers.
 */
export { freshDatabase, type TestDatabase } from "./database.ts";
export { type TestBus, testBus } from "./broker.ts";
export { type CapturedMail, type SmtpCapture, startSmtpCapture } from "./smtp.ts";
export { createTestKeys, type TestKeys } from "./keys.ts";
export { quietLogger, waitFor } from "./wait.ts";
export { passThrough, startProcess, type TestProcess } from "./process.ts";
