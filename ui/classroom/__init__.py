"""Classroom tools: the quiz, the guided tour, presenter view and teacher links, the exports,
the model builder, the Keras code of a view, and the tutorials the app cites."""
