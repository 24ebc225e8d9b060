import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { API_NAME, API_PORT, API_PORT_NAME, API_SERVICE_PORT, apiSelector } from "./lib/labels.js";
import { omitRestatedDefaults } from "./lib/server-defaults.js";

/** Props of `ApiService`. */
export interface ApiServiceProps {
  /**
   * Name of the Service and the ServiceAccount (the Istio host and mTLS identity).
   * @default "userapi"
   */
  readonly name?: string;
  /**
   * Port the Service exposes.
   * @default 80
   */
  readonly port?: number;
  /**
   * Container port the Service targets (the API's `PORT`).
   * @default 8080
   */
  readonly targetPort?: number;
}

/**
 * What both API tracks share: the Service in front of them and the
 * ServiceAccount they run as. The Service selects `app` only so both tracks
 * receive traffic; the DestinationRule's subsets split it by `version`.
 */
export class ApiService extends Construct {
  /** The API's Service (`userapi`, port name `http`). */
  public readonly service: kplus.Service;
  /** The API's ServiceAccount (`userapi`); its principal is what Redis allows. */
  public readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: ApiServiceProps = {}) {
    super(scope, id);
    const name = props.name ?? API_NAME;
    const selector = apiSelector();

    this.serviceAccount = new kplus.ServiceAccount(this, "ServiceAccount", {
      metadata: { name, labels: { ...selector } },
      automountToken: false,
    });

    this.service = new kplus.Service(this, "Service", {
      metadata: { name, labels: { ...selector } },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: kplus.Pods.select(this, "Pods", { labels: { ...selector } }),
      ports: [
        {
          // Istio picks the protocol from the port name prefix.
          name: API_PORT_NAME,
          port: props.port ?? API_SERVICE_PORT,
          targetPort: props.targetPort ?? API_PORT,
          protocol: kplus.Protocol.TCP,
        },
      ],
    });
    omitRestatedDefaults(ApiObject.of(this.service));
  }
}
