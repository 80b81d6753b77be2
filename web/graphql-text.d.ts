// esbuild loads .graphql files as text (loader '.graphql': 'text' in src/server/web-assets.ts).
declare module '*.graphql' {
  const document: string;
  export default document;
}
