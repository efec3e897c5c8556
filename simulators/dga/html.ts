/**
 * Pages that the proxies and the perimeter in front of DGA answer with instead of JSON or SOAP
 * (docs/dga.md#answers: "treat as no valid answer"). Shapes are typical of nginx and a WAF; text is a GUESS.
 */
const REASONS: Readonly<Record<number, string>> = {
  403: 'Forbidden',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

export function proxyErrorPage(status: number): string {
  const title = `${status} ${REASONS[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** The perimeter's page for a blocked Centro de Control (Res. 2.170 §7); `supportId` lets a ticket cite it. */
export function blockedPage(status: number, supportId: string): string {
  return (
    `<html><head><title>Request Rejected</title></head><body>` +
    `<h1>${status} ${REASONS[status] ?? 'Blocked'}</h1>` +
    `<p>The requested URL was rejected. Please consult with your administrator.</p>` +
    `<p>Your support ID is: ${supportId}</p></body></html>`
  );
}
