// `npm run test:e2e` refuses to start without an endpoint, so "all skipped" is never read as "all passed".
if (!process.env.AWS_ENDPOINT_URL) {
  console.error('test:e2e needs AWS_ENDPOINT_URL (an AWS-compatible endpoint) and credentials for it.')
  process.exit(2)
}
