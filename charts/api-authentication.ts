import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { RequestAuthentication } from "../imports/security.istio.io.js";
import { jwksJson, type PublicJwks } from "./lib/jwks.js";
import { API_NAME, apiSelector } from "./lib/labels.js";

/** Where the API pods see the JWKS: a directory mount, so ConfigMap updates reach them. */
export const JWKS_MOUNT_PATH = "/etc/userapi/auth";
/** File name of the JWKS in the ConfigMap and in the mounted directory. */
export const JWKS_FILE_NAME = "jwks.json";

/** Props of `ApiAuthentication`. */
export interface ApiAuthenticationProps {
  /** Required `iss` of every token. */
  readonly issuer: string;
  /** Required `aud` of every token. */
  readonly audience: string;
  /** Public keys that sign the tokens (validated by the chart config). */
  readonly jwks: PublicJwks;
}

/**
 * Who may call the API, as both walls see it: the JWKS as a ConfigMap that
 * the API pods mount (the app verifies every token itself), and Istio's
 * RequestAuthentication on the API pods with the same issuer, audience and
 * keys, inline (a JWKS is public; inline, Envoy needs no fetch from istiod).
 * RequestAuthentication only rejects invalid tokens (401); requiring one is
 * the AuthorizationPolicy's job (charts/mesh-security.ts), via
 * `requestPrincipal`.
 */
export class ApiAuthentication extends Construct {
  /** ConfigMap `userapi-jwks` holding `jwks.json`. */
  public readonly jwksConfigMap: kplus.ConfigMap;
  /** The request principal every valid token gets: `<issuer>/*` (Istio's `iss/sub`). */
  public readonly requestPrincipal: string;
  /** Token issuer and audience, for the app's environment. */
  public readonly issuer: string;
  public readonly audience: string;

  constructor(scope: Construct, id: string, props: ApiAuthenticationProps) {
    super(scope, id);
    this.issuer = props.issuer;
    this.audience = props.audience;
    this.requestPrincipal = `${props.issuer}/*`;
    const jwks = jwksJson(props.jwks);

    this.jwksConfigMap = new kplus.ConfigMap(this, "Jwks", {
      metadata: { name: `${API_NAME}-jwks` },
      data: { [JWKS_FILE_NAME]: jwks },
    });

    new RequestAuthentication(this, "RequestAuthentication", {
      metadata: { name: API_NAME },
      spec: {
        selector: { matchLabels: { ...apiSelector() } },
        jwtRules: [
          {
            issuer: props.issuer,
            audiences: [props.audience],
            jwks,
            // Without it Envoy strips the Authorization header after verifying,
            // and the app, which verifies too, would answer 401 to every request.
            forwardOriginalToken: true,
          },
        ],
      },
    });
  }
}
