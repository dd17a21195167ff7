/**
 * Everything a user reads: mail templates (text and HTML parts) and the texts of
 * in-app notifications. Pure functions of their input, so they are tested without
 * a server. Every value interpolated into HTML goes through `escapeHtml`: user
 * names and addresses are chosen by users and must never become markup.
 */

/** The product name shown in mails and notifications. */
export const APP_NAME = "Marketplace";

/** A rendered mail. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/** The visible parts of an in-app notification. */
export interface InAppContent {
  /** Stable kind clients may switch on (icon, grouping). */
  type: string;
  title: string;
  body: string;
  /** Where a click leads, relative to the web app; null when nowhere in particular. */
  link: string | null;
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * `${publicUrl}/<path>?token=<token>` (the links of docs/CONTRACTS.md). The token
 * is URL-encoded, so whatever auth puts in it cannot break out of the query.
 */
export function tokenLink(publicUrl: string, path: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/${path}?token=${encodeURIComponent(token)}`;
}

/**
 * Says how long a link stays valid ("an hour", "24 hours", "30 minutes"), from
 * when the event happened to when its token expires. Rounds to whole units, since
 * the two instants are taken a few milliseconds apart.
 */
export function describeDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  // 24 hours reads better than "a day"; longer spans in whole days.
  if (minutes % 1440 === 0 && minutes > 1440) return `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? "an hour" : `${minutes / 60} hours`;
  return minutes === 1 ? "a minute" : `${minutes} minutes`;
}

/** The parts a mail is made of; `composeMail` renders both formats from them. */
export interface MailParts {
  /** Fixed text: nothing a user chose may reach a header. */
  subject: string;
  greeting: string;
  /** Paragraphs before the button, plain text. */
  intro: string[];
  /** Label and value lines (a receipt, a due date), shown between intro and button. */
  details?: [label: string, value: string][];
  action?: { label: string; url: string };
  /** Paragraphs after the button, plain text. */
  outro: string[];
}

/**
 * Renders the text and HTML parts of a mail from its parts. Every value is
 * escaped in the HTML part, so callers pass plain text (user-chosen included).
 */
export function composeMail(parts: MailParts): MailContent {
  const { subject, greeting, intro, details = [], action, outro } = parts;
  const text = [
    greeting,
    ...intro,
    ...(details.length > 0
      ? [details.map(([label, value]) => `${label}: ${value}`).join("\n")]
      : []),
    ...(action ? [`${action.label}: ${action.url}`] : []),
    ...outro,
    `— ${APP_NAME}`,
  ].join("\n\n") + "\n";

  const paragraph = (line: string) =>
    `<p style="margin:0 0 16px;line-height:1.5">${escapeHtml(line)}</p>`;
  const button = action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(action.url)}" ` +
      `style="background:#1dbf73;color:#ffffff;padding:12px 20px;border-radius:4px;` +
      `text-decoration:none;display:inline-block">${escapeHtml(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555555">If the button does not work, ` +
      `open this address: <a href="${escapeHtml(action.url)}">${escapeHtml(action.url)}</a></p>`
    : "";
  const table = details.length > 0
    ? `<table role="presentation" style="margin:0 0 16px;border-collapse:collapse">` +
      details.map(([label, value]) =>
        `<tr><td style="padding:4px 16px 4px 0;color:#555555">${escapeHtml(label)}</td>` +
        `<td style="padding:4px 0">${escapeHtml(value)}</td></tr>`
      ).join("") +
      `</table>`
    : "";
  const title = escapeHtml(subject);
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f5f5f5;font-family:Helvetica,Arial,sans-serif;color:#222222">
<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:32px;border-radius:6px">
${[greeting, ...intro].map(paragraph).join("\n")}
${table}${button}
${outro.map(paragraph).join("\n")}
<p style="margin:24px 0 0;color:#777777">— ${escapeHtml(APP_NAME)}</p>
</div>
</body>
</html>
`;
  return { subject, text, html };
}

/** Mail for `user.registered`: welcome, and the link that verifies the address. */
export function welcomeMail(
  input: { username: string; verifyUrl: string; expiresIn: string },
): MailContent {
  return composeMail({
    subject: `Welcome to ${APP_NAME}: confirm your email address`,
    greeting: `Hi ${input.username},`,
    intro: [
      `Thanks for joining ${APP_NAME}. Confirm your email address to start buying and selling.`,
    ],
    action: { label: "Confirm email address", url: input.verifyUrl },
    outro: [
      `The link expires in ${input.expiresIn}.`,
      "If you did not create an account, ignore this mail.",
    ],
  });
}

/** Mail for `user.email_verification_requested`: a fresh verification link. */
export function verifyEmailMail(
  input: { username: string; verifyUrl: string; expiresIn: string },
): MailContent {
  return composeMail({
    subject: "Confirm your email address",
    greeting: `Hi ${input.username},`,
    intro: ["Here is your link to confirm your email address."],
    action: { label: "Confirm email address", url: input.verifyUrl },
    outro: [
      `The link expires in ${input.expiresIn}.`,
      "If you did not ask for it, ignore this mail.",
    ],
  });
}

/** Mail for `user.email_verified`: a short confirmation. */
export function emailVerifiedMail(input: { username: string; email: string }): MailContent {
  return composeMail({
    subject: "Your email address is confirmed",
    greeting: `Hi ${input.username},`,
    intro: [`Your email address ${input.email} is confirmed. You are all set.`],
    outro: [],
  });
}

/** Mail for `user.password_reset_requested`: the reset link and when it expires. */
export function passwordResetMail(
  input: { username: string; resetUrl: string; expiresIn: string },
): MailContent {
  return composeMail({
    subject: "Reset your password",
    greeting: `Hi ${input.username},`,
    intro: [`Someone, hopefully you, asked to reset the password of your ${APP_NAME} account.`],
    action: { label: "Choose a new password", url: input.resetUrl },
    outro: [
      `The link expires in ${input.expiresIn}.`,
      "If you did not ask for this, ignore this mail: your password stays as it is.",
    ],
  });
}

/** Mail for `user.password_changed`: a security notice. */
export function passwordChangedMail(
  input: { username: string; email: string; via: "change" | "reset" },
): MailContent {
  const how = input.via === "reset" ? "with a password reset link" : "from your account settings";
  return composeMail({
    subject: "Your password was changed",
    greeting: `Hi ${input.username},`,
    intro: [`The password of your ${APP_NAME} account (${input.email}) was just changed ${how}.`],
    outro: [
      "If this was you, there is nothing else to do.",
      'If it was not you, reset your password at once with "Forgot password" on the sign-in page, and contact support.',
    ],
  });
}

/** In-app notification for `user.registered`. */
export function welcomeNotification(input: { username: string; email: string }): InAppContent {
  return {
    type: "welcome",
    title: `Welcome to ${APP_NAME}, ${input.username}!`,
    body:
      `Confirm your email address with the link we sent to ${input.email} to start buying and selling.`,
    link: null,
  };
}

/** In-app notification for `user.email_verified`. */
export function emailVerifiedNotification(input: { email: string }): InAppContent {
  return {
    type: "email_verified",
    title: "Email address confirmed",
    body: `${input.email} is confirmed. You are all set.`,
    link: null,
  };
}

/** In-app notification for `user.password_changed`. */
export function passwordChangedNotification(input: { via: "change" | "reset" }): InAppContent {
  return {
    type: "password_changed",
    title: "Your password was changed",
    body: input.via === "reset"
      ? "Your password was reset with a link sent to your email. If this was not you, reset it again at once."
      : "Your password was changed from your account settings. If this was not you, reset it at once.",
    link: null,
  };
}
