"""PostgreSQL storage: connection (embedded or DATABASE_URL), migrations, repositories."""
