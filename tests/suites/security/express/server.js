// An Express 5 application (express-session, Passport's local strategy, helmet, csrf-sync:
// libraries nobody on the homolog team wrote) served over TLS, for homolog's tests.
//
//   node server.js --port P --cert C --key K --variant checklist|defaults
//
// Accounts' passwords come from HOMOLOG_TEST_EXPRESS_PASSWORD. See expressapp.py beside this
// folder for what each variant does.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const https = require("node:https");
const { parseArgs } = require("node:util");

const express = require("express");
const session = require("express-session");
const helmet = require("helmet");
const passport = require("passport");
const LocalStrategy = require("passport-local").Strategy;
const { csrfSync } = require("csrf-sync");

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    variant: { type: "string" },
    "session-seconds": { type: "string" },
    "lockout-failures": { type: "string" },
    quirks: { type: "string", default: "" },
  },
});
// mistakes and ways of writing an application seen in the field, switched on one by one:
// open-notes: a note any visitor may post (302 to the patient's page once saved) and a flag
//   (200), their routes having forgotten `loggedIn`, beside a logout posted from every page;
// login-pages: a failed login sent to /login-failed, a locked account to /account-locked;
// api-cors: the API's CORS middleware reflects any origin, credentials allowed.
const quirks = new Set(args.quirks.split(",").filter(Boolean));
const careful = args.variant === "checklist";
const SESSION_SECONDS = Number(args["session-seconds"]);
const LOCKOUT_FAILURES = Number(args["lockout-failures"]);
const MIN_LENGTH = careful ? 15 : 8;

// scrypt hashes, as an application without a hashing dependency stores them
function hash(password, salt = crypto.randomBytes(16).toString("hex")) {
  return `${salt}$${crypto.scryptSync(password, salt, 32).toString("hex")}`;
}
function verify(password, stored) {
  const [salt, digest] = stored.split("$");
  const given = crypto.scryptSync(password, salt, 32);
  return crypto.timingSafeEqual(given, Buffer.from(digest, "hex"));
}
const users = new Map();
for (const [name, display] of [
  ["dr.robert", "Dr Alice ROBERT"],
  ["dr.martin", "Dr Paul MARTIN"],
  ["dr.petit", "Dr Jeanne PETIT"],
]) {
  users.set(name, { name, display, hash: hash(process.env.HOMOLOG_TEST_EXPRESS_PASSWORD), failures: 0 });
}

passport.use(
  new LocalStrategy((username, password, done) => {
    const user = users.get(username);
    if (!user) return done(null, false);
    if (careful && user.failures >= LOCKOUT_FAILURES) {
      return done(null, false, quirks.has("login-pages") ? { locked: true } : undefined); // locked
    }
    if (!verify(password, user.hash)) {
      user.failures += 1;
      return done(null, false);
    }
    user.failures = 0;
    return done(null, user);
  }),
);
passport.serializeUser((user, done) => done(null, user.name));
passport.deserializeUser((name, done) => done(null, users.get(name) || false));

const app = express();
if (careful) {
  app.disable("x-powered-by");
  app.use(helmet()); // its defaults: HSTS, a CSP, nosniff, X-Frame-Options SAMEORIGIN, no-referrer ...
}
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    secret: "express-test-session-secret-0001",
    resave: false,
    saveUninitialized: false,
    // checklist: an idle session ends after SESSION_SECONDS (rolling: each answer renews it),
    // its cookie Secure, HttpOnly, SameSite; defaults: express-session's cookie, HttpOnly
    // only, living as long as the browser and the server's memory
    rolling: careful,
    cookie: careful ? { secure: true, httpOnly: true, sameSite: "strict", maxAge: SESSION_SECONDS * 1000 } : {},
  }),
);
app.use(passport.session());
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req) => req.body && req.body._csrf,
});
// the application's own code, the same in both variants: synchroniser tokens in its forms
const csrf = csrfSynchronisedProtection;
const token = (req) => `<input type="hidden" name="_csrf" value="${generateToken(req)}">`;

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const page = (title, body) =>
  `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;
const loggedIn = (req, res, next) => (req.isAuthenticated() ? next() : res.redirect("/login"));

app.get("/login", (req, res) => {
  const error = req.query.error ? '<p id="login-error" role="alert">Identifiant ou mot de passe incorrect</p>' : "";
  res.send(
    page(
      "Connexion",
      `${error}<form method="post" action="/login">${token(req)}` +
        '<label for="username">Identifiant</label><input id="username" name="username" autocomplete="username">' +
        '<label for="password">Mot de passe</label>' +
        '<input id="password" name="password" type="password" autocomplete="current-password">' +
        '<button id="login-submit" type="submit">Se connecter</button></form>',
    ),
  );
});
if (quirks.has("login-pages")) {
  app.post("/login", csrf, (req, res, next) =>
    passport.authenticate("local", (err, user, info) => {
      if (err) return next(err);
      if (!user) return res.redirect(info && info.locked ? "/account-locked" : "/login-failed");
      return req.logIn(user, (e) => (e ? next(e) : res.redirect("/")));
    })(req, res, next),
  );
  app.get("/login-failed", (req, res) =>
    res.send(page("Connexion", '<p role="alert">Identifiant ou mot de passe incorrect</p><a href="/login">Réessayer</a>')),
  );
  app.get("/account-locked", (req, res) =>
    res.send(page("Compte verrouillé", "<p>Trop d'essais : votre compte est verrouillé.</p>")),
  );
} else {
  app.post("/login", csrf, passport.authenticate("local", { successRedirect: "/", failureRedirect: "/login?error=1" }));
}
if (quirks.has("api-cors")) {
  app.use("/api", (req, res, next) => {
    if (req.headers.origin) {
      res.set("Access-Control-Allow-Origin", req.headers.origin);
      res.set("Access-Control-Allow-Credentials", "true");
      res.set("Vary", "Origin");
    }
    if (req.method === "OPTIONS") return res.sendStatus(204);
    return next();
  });
}
app.get("/api/patients", (req, res) =>
  req.isAuthenticated() ? res.json([{ nom: "DUPONT", prenom: "Claire" }]) : res.status(401).json({ error: "login" }),
);
if (quirks.has("open-notes")) {
  const notes = [];
  app.get("/patients/:id", loggedIn, (req, res) => {
    res.send(
      page(
        "Patient",
        `<ul>${notes.map((n) => `<li>${escape(n)}</li>`).join("")}</ul>` +
          `<form method="post" action="/patients/${escape(req.params.id)}/notes">${token(req)}` +
          '<label for="note">Note</label><input id="note" name="note"><button type="submit">Ajouter</button></form>',
      ),
    );
  });
  app.post("/patients/:id/notes", csrf, (req, res) => {
    notes.push(String(req.body.note || ""));
    res.redirect(`/patients/${encodeURIComponent(req.params.id)}`);
  });
  app.post("/patients/:id/flags", csrf, (req, res) => res.json({ flagged: req.params.id }));
  app.post("/logout", csrf, (req, res, next) => req.session.destroy((e) => (e ? next(e) : res.redirect("/login"))));
}
app.get("/", loggedIn, (req, res) => {
  res.send(page("Accueil", `<p>Bonjour <span id="current-user">${escape(req.user.display)}</span></p>`));
});
app.get("/patients", loggedIn, (req, res) => {
  res.send(
    page(
      "Patients",
      '<ul><li>Mme Claire DUPONT</li></ul><form method="post" action="/patients/export">' +
        `${token(req)}<button type="submit">Exporter</button></form>`,
    ),
  );
});
// defaults: the export forgot loggedIn
app.post("/patients/export", ...(careful ? [loggedIn] : []), csrf, (req, res) => {
  res.type("text/csv").send("nom;prenom\nDUPONT;Claire\n");
});
const passwordForm = (req, error) =>
  page(
    "Mot de passe",
    `${error}<form method="post" action="/account/password">${token(req)}` +
      '<label for="current">Mot de passe actuel</label><input id="current" name="current" type="password">' +
      '<label for="new">Nouveau mot de passe</label><input id="new" name="new" type="password">' +
      '<label for="confirm">Confirmation</label><input id="confirm" name="confirm" type="password">' +
      '<button type="submit">Changer</button></form>',
  );
app.get("/account/password", loggedIn, (req, res) => res.send(passwordForm(req, "")));
app.post("/account/password", loggedIn, csrf, (req, res) => {
  const { current, new: fresh, confirm } = req.body;
  let problem = "";
  if (!verify(String(current || ""), req.user.hash)) problem = "Mot de passe actuel incorrect";
  else if (fresh !== confirm) problem = "Les mots de passe diffèrent";
  else if (String(fresh || "").length < MIN_LENGTH) problem = `Au moins ${MIN_LENGTH} caractères`;
  if (problem) {
    res.status(400).send(passwordForm(req, `<p id="password-error" role="alert">${problem}</p>`));
    return;
  }
  req.user.hash = hash(fresh);
  res.redirect("/account/password/done");
});
app.get("/account/password/done", loggedIn, (req, res) => {
  res.send(page("Mot de passe", '<p id="password-done">Mot de passe changé</p>'));
});

https
  .createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) }, app)
  .listen(Number(args.port), "127.0.0.1");
