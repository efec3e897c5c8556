// The fault proxy is a product (the demo cuts its uplink with it); tests use the same one.
export { FaultProxy, type FaultProxyOptions, type ProxyMode, type ProxyStats } from '../../simulators/net/fault-proxy.ts';
