// The generated Istio classes (imports/), re-exported as one namespace for charts that need raw resources.
export * from '../../../imports/istio-security.istio.io';
export * from '../../../imports/istio-networking.istio.io';
export * from '../../../imports/istio-telemetry.istio.io';
