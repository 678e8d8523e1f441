from label_irst.cli import main

raise SystemExit(main())
