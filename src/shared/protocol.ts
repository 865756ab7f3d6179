// The one module of typed messages: extension <-> inference worker, extension <-> webview.
export * from './worker-protocol';
export * from './webview-protocol';
