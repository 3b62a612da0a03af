"""seed-demo: a believable demo network (CAN-like), and demo-logins.

Everything is drawn from one ``random.Random(seed)``, so a seed always gives the same names and the
same structure; only the demo passwords (from ``secrets``) differ. Rows go in with SQLAlchemy Core
bulk inserts, organisation by organisation in chunks, with the audit and search hooks off (seeding is
not a user's change); the search index is rebuilt once at the end and everything commits once.

spec.py says what the network is (its nodes, the mix of kinds, the story organisations, the data
files of names and places), builder.py draws and inserts it, commands.py holds the flask commands.
"""
