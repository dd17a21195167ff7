/**
 * A local mail catcher for `deno task dev`: an SMTP server (npm:smtp-server,
 * via the shared capture helper) that keeps the mails in memory, and a small web
 * page where a developer reads them, HTML and text, with the links clickable.
 *
 *   GET  /                 the list (refreshes itself)
 *   GET  /mails/:id        one mail: headers, HTML (sandboxed), text
 *   GET  /api/mails        every mail as JSON, newest first
 *   GET  /api/mails/:id    one mail as JSON
 *   DELETE /api/mails      forgets every mail
 *
 * Run alone with `deno task mail` (SMTP 1025, web 8025).
 */
import { Hono } from "hono";
import { html, raw } from "hono/html";
import { type CapturedMail, startSmtpCapture } from "../shared/testing/smtp.ts";

/** A caught mail as the JSON API shows it. */
export interface CaughtMail {
  id: number;
  from: string;
  to: string[];
  subject: string;
  date: string | null;
  messageId: string;
  text: string;
  html: string;
}

/** A running mail catcher. */
export interface MailCatcher {
  smtpUrl: string;
  webUrl: string;
  /** Caught mails, oldest first. */
  mails(): CaughtMail[];
  close(): Promise<void>;
}

/** Options of `startMailCatcher`. */
export interface MailCatcherOptions {
  /** Default 1025; 0 picks a free port. */
  smtpPort?: number;
  /** Default 8025; 0 picks a free port. */
  httpPort?: number;
  /** Mails kept; the oldest are forgotten beyond it. Default 500. */
  keep?: number;
}

/** Starts the SMTP server and the web page, both on 127.0.0.1. */
export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const { smtpPort = 1025, httpPort = 8025, keep = 500 } = options;
  const smtp = await startSmtpCapture(smtpPort);
  // The capture helper appends to `smtp.mails`; ids are given in arrival order.
  const ids = new WeakMap<CapturedMail, number>();
  let nextId = 1;
  const mails = (): CaughtMail[] => {
    if (smtp.mails.length > keep) smtp.mails.splice(0, smtp.mails.length - keep);
    return smtp.mails.map((mail) => {
      if (!ids.has(mail)) ids.set(mail, nextId++);
      return toJson(ids.get(mail)!, mail);
    });
  };

  const app = createMailApp(mails, () => smtp.mails.splice(0));
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: "127.0.0.1", port: httpPort, onListen: () => {} }, app.fetch);
  } catch (error) {
    await smtp.close();
    throw error;
  }
  return {
    smtpUrl: smtp.url,
    webUrl: `http://127.0.0.1:${server.addr.port}`,
    mails,
    async close() {
      await server.shutdown();
      await smtp.close();
    },
  };
}

function toJson(id: number, mail: CapturedMail): CaughtMail {
  const date = mail.headers.get("date");
  return {
    id,
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    date: date instanceof Date ? date.toISOString() : null,
    messageId: mail.messageId,
    text: mail.text,
    html: mail.html,
  };
}

/** The web page and JSON API over a list of mails. */
export function createMailApp(mails: () => CaughtMail[], clear: () => void): Hono {
  const app = new Hono();
  const find = (id: string) => mails().find((m) => String(m.id) === id);

  app.get("/api/mails", (c) => c.json(mails().reverse()));
  app.get("/api/mails/:id", (c) => {
    const mail = find(c.req.param("id"));
    return mail ? c.json(mail) : c.json({ error: "no such mail" }, 404);
  });
  app.delete("/api/mails", (c) => {
    clear();
    return c.body(null, 204);
  });

  app.get("/", (c) => {
    const list = mails().reverse();
    return c.html(page(
      "Mail catcher",
      html`<meta http-equiv="refresh" content="5">
        <h1>Mail catcher <small>${list.length} mail${list.length === 1 ? "" : "s"}</small></h1>
        ${
        list.length === 0
          ? html`<p>No mail yet. Anything the fleet sends over SMTP shows up here.</p>`
          : html`<table>
              <tr><th>#</th><th>Received</th><th>To</th><th>Subject</th></tr>
              ${
            list.map((m) =>
              html`
                <tr>
                  <td>${m.id}</td>
                  <td>${m.date ?? ""}</td>
                  <td>${m.to.join(", ")}</td>
                  <td><a href="/mails/${m.id}">${m.subject || "(no subject)"}</a></td>
                </tr>
              `
            )
          }
            </table>`
      }
        <p class="api">JSON: <a href="/api/mails">/api/mails</a></p>`,
    ));
  });

  app.get("/mails/:id", (c) => {
    const mail = find(c.req.param("id"));
    if (!mail) {
      return c.html(page("Not found", html`<p>No such mail. <a href="/">Back</a></p>`), 404);
    }
    // The mail's HTML is shown in a sandboxed frame: no scripts, links open in a new tab.
    const frame = `<base target="_blank">${mail.html}`;
    return c.html(page(
      mail.subject,
      html`
        <p><a href="/">← all mails</a></p>
                <h1>${mail.subject || "(no subject)"}</h1>
                <dl>
          <dt>From</dt>
          <dd>${mail.from}</dd>
          <dt>To</dt>
          <dd>${mail.to.join(", ")}</dd>
          <dt>Date</dt>
          <dd>${mail.date ?? ""}</dd>
          <dt>Message-ID</dt>
          <dd>${mail.messageId}</dd>
        </dl>
                <h2>HTML</h2>
                ${mail.html
                  ? html`<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${frame}"></iframe>`
                  : html`<p>(no HTML part)</p>`}
                <h2>Text</h2>
                <pre>${raw(linkify(mail.text))}</pre>
      `,
    ));
  });
  return app;
}

const STYLE =
  `body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
small{color:#777;font-weight:normal}dt{font-weight:bold;float:left;width:8rem}dd{margin-left:8rem}
iframe{width:100%;height:420px;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}
.api{margin-top:2rem;color:#777}`;

function page(title: string, body: unknown) {
  return html`
    <!doctype html>
    <html>
      <head>
        <meta charset="utf-8">
        <title>${title}</title>
        <style>${raw(STYLE)}</style>
      </head>
      <body>${body}</body>
    </html>
  `;
}

/** Escapes text for HTML and turns http(s) URLs into links. */
function linkify(text: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  let out = "";
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    const url = escape(match[0]);
    out += `${
      escape(text.slice(last, match.index))
    }<a href="${url}" target="_blank" rel="noopener">${url}</a>`;
    last = match.index + match[0].length;
  }
  return out + escape(text.slice(last));
}

if (import.meta.main) {
  const catcher = await startMailCatcher();
  console.log(`Mail catcher: SMTP ${catcher.smtpUrl}, read mails at ${catcher.webUrl}`);
  const stop = async () => {
    await catcher.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
