// The SDK client hands its transport's one AbortSignal to every fetch, and
// fetch drops its abort listener only when the request is garbage collected,
// so a busy client passes Node's limit of 1500 listeners. Say so once rather
// than once per request.
export function reportListenerWarningOnce(): void {
  let shown = false;
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'MaxListenersExceededWarning') {
      if (!shown) process.stderr.write('note: abort listeners pile up on the MCP client transport signal until GC (MaxListenersExceededWarning); shown once\n');
      shown = true;
      return;
    }
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}
