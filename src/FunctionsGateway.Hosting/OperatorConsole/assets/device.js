// device.js: this browser as a gateway device (docs/protocol.md §3).
// The Ed25519 key pair is made by WebCrypto as non-extractable and kept in IndexedDB: the structured clone of a
// CryptoKey keeps that flag, so the private key can sign here and can never be read out, not even by this page.
// deviceId = lowercase hex SHA-256 of the raw 32-byte public key (the public half may be exported; the private cannot).

const DB_NAME = "functionsgateway-console";
const STORE = "device";

/** The IndexedDB keys this console uses. */
export const KEYS = Object.freeze({ keyPair: "keyPair", settings: "settings", deviceToken: "deviceToken" });

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transaction(mode, body) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = body(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.value);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  } finally {
    db.close();
  }
}

function read(store, key) {
  const out = {};
  const request = store.get(key);
  request.onsuccess = () => { out.value = request.result; };
  return out;
}

/** Small key-value access to the console's IndexedDB store. */
export const storage = Object.freeze({
  get: (key) => transaction("readonly", (store) => read(store, key)),
  put: (key, value) => transaction("readwrite", (store) => { store.put(value, key); }),
  remove: (key) => transaction("readwrite", (store) => { store.delete(key); }),
  /** Stores value unless the key holds one already; answers what the key holds afterwards (two tabs agree on one key). */
  putIfAbsent: (key, value) => transaction("readwrite", (store) => {
    const out = {};
    const request = store.get(key);
    request.onsuccess = () => {
      if (request.result === undefined) {
        store.put(value, key);
        out.value = value;
      } else {
        out.value = request.result;
      }
    };
    return out;
  }),
});

export function base64url(bytes) {
  let binary = "";
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** Trim and ASCII-lowercase only, as every implementation of the v3 payload does. */
export const normalizeMetadata = (value) => (value ?? "").trim().replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The v3 string a device signs (docs/protocol.md §3; DeviceAuthPayload.cs builds the same bytes). */
export function authPayload({ deviceId, clientId, clientMode, role, scopes, signedAt, token, nonce, platform, deviceFamily }) {
  return ["v3", deviceId, clientId, clientMode, role, (scopes ?? []).join(","), String(signedAt), token ?? "", nonce,
    normalizeMetadata(platform), normalizeMetadata(deviceFamily)].join("|");
}

/** This browser's identity: the stored key pair, or a new non-extractable one. */
export async function loadOrCreateIdentity() {
  if (!globalThis.crypto?.subtle) {
    throw new Error("WebCrypto is unavailable: open the console over https, or on 127.0.0.1 or localhost");
  }

  let keyPair = await storage.get(KEYS.keyPair);
  if (!keyPair) {
    let made;
    try {
      made = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    } catch (error) {
      throw new Error(`this browser cannot make an Ed25519 key (${error?.message ?? error}); use a current Chromium, Firefox or Safari`);
    }
    keyPair = await storage.putIfAbsent(KEYS.keyPair, made);
  }

  const raw = await crypto.subtle.exportKey("raw", keyPair.publicKey);
  return { keyPair, publicKey: base64url(raw), deviceId: hex(await crypto.subtle.digest("SHA-256", raw)) };
}

/** Signed connect params for a challenge nonce. auth is {token} or {deviceToken}. */
export async function connectParams(identity, { client, role, scopes, nonce, auth }) {
  const signedAt = Date.now();
  const payload = authPayload({
    deviceId: identity.deviceId, clientId: client.id, clientMode: client.mode, role, scopes, signedAt,
    token: auth.token || auth.deviceToken || "", nonce, platform: client.platform, deviceFamily: client.deviceFamily,
  });
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, identity.keyPair.privateKey, new TextEncoder().encode(payload));
  return {
    minProtocol: 3, maxProtocol: 3, client, role, scopes: [...scopes],
    device: { id: identity.deviceId, publicKey: identity.publicKey, signature: base64url(signature), signedAt, nonce },
    auth,
  };
}
