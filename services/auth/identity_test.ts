import assert from "node:assert/strict";
import { authFixture } from "./test_support.ts";

const PASSWORD = "correct horse battery";

Deno.test("login finds an account under every spelling of its username or email, by canonical form", async () => {
  const f = await authFixture();
  try {
    await f.call("POST", "signup", {
      email: "Victim@Example.com",
      username: "Victim",
      password: PASSWORD,
    });
    for (
      const login of [
        "victim",
        "VICTIM",
        "vİctim", // PostgreSQL's lower() matched this; JavaScript counted it apart
        "VİCTİM",
        "vi\u0301ctim", // combining acute
        "ｖｉｃｔｉｍ", // full-width
        "  victim\t",
        "vic\u200btim", // zero-width space
        "victim@example.com",
        "vİctim@EXAMPLE.com",
        "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ",
      ]
    ) {
      const res = await f.call("POST", "login", { login, password: PASSWORD });
      assert.equal(res.status, 200, JSON.stringify(login));
      assert.equal(res.body.user.username, "Victim");
    }
    // Dotless ı is another letter, not a spelling of i: no account, one 401.
    const dotless = await f.call("POST", "login", { login: "vıctim", password: PASSWORD });
    assert.equal(dotless.status, 401);
    assert.equal(dotless.body.code, "invalid_credentials");
  } finally {
    await f.close();
  }
});

Deno.test("login folds ß and ligatures fully (PostgreSQL's lower() did not)", async () => {
  const f = await authFixture();
  try {
    await f.signup("strasse");
    await f.signup("finn");
    for (const login of ["straße", "STRAẞE", "Strasse"]) {
      assert.equal(
        (await f.call("POST", "login", { login, password: PASSWORD })).status,
        200,
        login,
      );
    }
    for (const login of ["ﬁnn", "ＦＩＮＮ", "ﬁnn@example.com"]) {
      assert.equal(
        (await f.call("POST", "login", { login, password: PASSWORD })).status,
        200,
        login,
      );
    }
  } finally {
    await f.close();
  }
});

Deno.test("signup stores the canonical keys and refuses a name or email that folds onto a taken one", async () => {
  const f = await authFixture();
  try {
    await f.signup("finn");
    const [row] = await f.db.sql`select email_key, username_key from users`;
    assert.deepEqual({ ...row }, { email_key: "finn@example.com", username_key: "finn" });
    const before = await f.counts();
    const name = await f.call("POST", "signup", {
      email: "other@example.com",
      username: "FINN",
      password: PASSWORD,
    });
    assert.equal(name.status, 409);
    assert.equal(name.body.code, "username_taken");
    const email = await f.call("POST", "signup", {
      email: "FINN@EXAMPLE.COM",
      username: "other",
      password: PASSWORD,
    });
    assert.equal(email.status, 409);
    assert.equal(email.body.code, "email_taken");
    // New usernames stay ASCII: a non-ASCII spelling is a 400, not a second account.
    for (const username of ["ﬁnn", "ＦＩＮＮ", "fİnn", "fınn"]) {
      const res = await f.call("POST", "signup", {
        email: "another@example.com",
        username,
        password: PASSWORD,
      });
      assert.equal(res.status, 400, username);
      assert.equal(res.type, "application/problem+json");
    }
    assert.deepEqual(await f.counts(), before);
  } finally {
    await f.close();
  }
});
