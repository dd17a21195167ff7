/**
 * Test helpers. They create real resources (a fresh PostgreSQL database, a
 * unique RabbitMQ exchange and the queues of a consumer on it, a real SMTP
 * server, real keys); nothing here mocks the project's code or those servers.
 */
export { freshDatabase, migratedDatabase, type TestDatabase } from "./database.ts";
export { deleteQueues, type TestBus, testBus } from "./broker.ts";
export { type ConsumerHarness, consumerHarness, type ConsumerHarnessOptions } from "./consumer.ts";
export { envelope } from "./events.ts";
export { freePort } from "./ports.ts";
export { assertProblem, callApp, type TestRequest, type TestResponse } from "./http.ts";
export { type CapturedMail, type SmtpCapture, startSmtpCapture } from "./smtp.ts";
export { createTestKeys, type TestKeys } from "./keys.ts";
export { quietLogger, settleAll, waitFor } from "./wait.ts";
export { passThrough, PERMISSION_ERROR, startProcess, type TestProcess } from "./process.ts";
export { mediaUploadedData } from "./media.ts";
