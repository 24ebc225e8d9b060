/**
 * Verification alone, in process: the app's verifier (jose `jwtVerify`
 * with a local key set, the claim checks, the scope parsing) on one valid
 * token per algorithm, repeated, on one core. Run by `npm run bench`, or
 * alone: `npx tsx scripts/bench/verify-cost.ts`.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { createTokenVerifier } from "../../api/auth/token-verifier.js";

const ALGORITHMS = ["ES256", "RS256", "EdDSA"] as const;

/** One line per algorithm: µs per verification and verifications per second. */
export async function measureVerification(iterations = 4000): Promise<string[]> {
  const lines: string[] = [];
  for (const alg of ALGORITHMS) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const kid = `bench-${alg}`;
    const getKey = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid, alg }] });
    const verify = createTokenVerifier({
      getKey,
      issuer: "userapi-dev",
      audience: "userapi",
      clockToleranceSeconds: 30,
    });
    const token = await new SignJWT({ scope: "users:read" })
      .setProtectedHeader({ alg, kid })
      .setIssuer("userapi-dev")
      .setAudience("userapi")
      .setSubject("bench")
      .setExpirationTime("1h")
      .sign(privateKey);
    for (let i = 0; i < 200; i++) await verify(token);
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      const result = await verify(token);
      if (!result.ok) throw new Error(`the bench token did not verify: ${result.kind}`);
    }
    const micros = ((performance.now() - started) * 1000) / iterations;
    lines.push(
      `${alg.padEnd(6)} ${micros.toFixed(1).padStart(7)} µs (${Math.round(1e6 / micros)}/s)`,
    );
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await measureVerification()) console.log(line);
}
