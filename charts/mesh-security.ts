import { Construct } from "constructs";
import {
  AuthorizationPolicy,
  AuthorizationPolicySpecAction,
  PeerAuthentication,
  PeerAuthenticationSpecMtlsMode,
} from "../imports/security.istio.io.js";
import {
  API_NAME,
  apiSelector,
  INGRESS_GATEWAY_PRINCIPAL,
  principalOf,
  REDIS_NAME,
  redisLabels,
} from "./lib/labels.js";
import { authorizationPaths, isUserPath } from "./lib/routes.js";

/** Props of `MeshSecurity`. */
export interface MeshSecurityProps {
  /**
   * Request principal (`<issuer>/<sub>` of a token Istio verified) required
   * on the /user paths, e.g. `userapi-dev/*` (see `ApiAuthentication`).
   */
  readonly requestPrincipal: string;
  /**
   * ServiceAccount of the API pods (their mTLS identity).
   * @default "userapi"
   */
  readonly apiServiceAccount?: string;
  /**
   * mTLS principal allowed to call the API.
   * @default INGRESS_GATEWAY_PRINCIPAL (Istio's default ingress gateway)
   */
  readonly ingressPrincipal?: string;
}

/**
 * Zero-trust inside the namespace: STRICT mTLS for every workload, an
 * empty ALLOW-nothing policy as the default, and ALLOW rules on mTLS
 * identities: the ingress gateway may call the API's public paths (the ones
 * its VirtualService routes, so the two agree), the /user paths only for a
 * caller with a valid token (a request principal; without a token Envoy
 * answers 403, with an invalid one RequestAuthentication answers 401), and
 * the API may call Redis.
 * Probes and Prometheus's scrape never pass through these rules: Istio's
 * agent calls the app from inside the pod.
 * The Redis rule names only the principal: Redis speaks TCP, and an HTTP
 * field (path, method) in an ALLOW rule on TCP traffic never matches.
 */
export class MeshSecurity extends Construct {
  constructor(scope: Construct, id: string, props: MeshSecurityProps) {
    super(scope, id);
    const apiPrincipal = principalOf(props.apiServiceAccount ?? API_NAME);
    const gateway = props.ingressPrincipal ?? INGRESS_GATEWAY_PRINCIPAL;
    const paths = authorizationPaths();

    new PeerAuthentication(this, "StrictMtls", {
      metadata: { name: "default" },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    // An ALLOW policy with no rules matches nothing: whatever the rules below
    // do not allow is denied, for every workload in the namespace.
    new AuthorizationPolicy(this, "AllowNothing", {
      metadata: { name: "allow-nothing" },
      spec: { action: AuthorizationPolicySpecAction.ALLOW },
    });

    new AuthorizationPolicy(this, "IngressToApi", {
      metadata: { name: `${API_NAME}-from-ingress-gateway` },
      spec: {
        selector: { matchLabels: { ...apiSelector() } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [
          {
            from: [{ source: { principals: [gateway] } }],
            to: [{ operation: { paths: paths.filter((path) => !isUserPath(path)) } }],
          },
          {
            // Both conditions of one source: the gateway's mTLS identity AND a verified token.
            from: [
              { source: { principals: [gateway], requestPrincipals: [props.requestPrincipal] } },
            ],
            to: [{ operation: { paths: paths.filter(isUserPath) } }],
          },
        ],
      },
    });

    new AuthorizationPolicy(this, "ApiToRedis", {
      metadata: { name: `${REDIS_NAME}-from-${API_NAME}` },
      spec: {
        selector: { matchLabels: { ...redisLabels() } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { principals: [apiPrincipal] } }] }],
      },
    });
  }
}
