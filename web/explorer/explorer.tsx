// The GraphQL explorer served on GET /graphql: GraphiQL bundled by Pulse itself, so it works on a
// machine without internet (Apollo's default landing page loads from a CDN).
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';
import './explorer.css';

const DEFAULT_QUERY = `# Pulse GraphQL explorer
#
# 1. Put your email and password in LogIn and run it.
# 2. Copy the token into Headers, after "Bearer ".
# 3. Run Me, or anything else. The Docs (book icon)
#    describe every type, field and argument.
#    Subscriptions (dealEvents) use the same header.

mutation LogIn {
  logIn(input: { email: "you@example.com", password: "your password" }) {
    token
    expiresAt
  }
}

query Me {
  me { id name email role }
}
`;

const DEFAULT_HEADERS = `{
  "Authorization": "Bearer "
}`;

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

// With subscriptionUrl the toolkit opens a graphql-ws connection per subscription and sends the
// Headers tab as its connectionParams, where Pulse reads `Authorization` just as on HTTP.
const fetcher = createGraphiQLFetcher({ url: `${location.origin}/graphql`, subscriptionUrl: wsUrl });

/** The printed schema works even where introspection is off (production with the explorer on). */
async function loadSchema(): Promise<GraphQLSchema | undefined> {
  try {
    const response = await fetch('/schema.graphql');
    return response.ok ? buildSchema(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

const container = document.getElementById('explorer');
if (!container) throw new Error('the page has no #explorer element');
const schema = await loadSchema();
createRoot(container).render(
  <GraphiQL
    fetcher={fetcher}
    {...(schema ? { schema } : {})}
    defaultQuery={DEFAULT_QUERY}
    defaultHeaders={DEFAULT_HEADERS}
    defaultEditorToolsVisibility="headers"
  />,
);
